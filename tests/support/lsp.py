"""Helpers for tests that drive the real server with pytest-lsp: answering prompts, waiting on logs."""

from __future__ import annotations

import asyncio
from typing import Optional, Union

from lsprotocol import types
from pytest_lsp import LanguageClient


class Prompts:
    """Answers window/showMessageRequest and records every request.

    ``answers`` is either a list of button titles used in order, or a mapping from a text the message
    contains to the title to press (for several projects prompting at once). No match: dismissed.
    """

    def __init__(self, client: LanguageClient, answers: Union[list[str], dict[str, str]]) -> None:
        self.requests: list[types.ShowMessageRequestParams] = []
        self.answers = answers
        self.event = asyncio.Event()

        @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        def _request(params: types.ShowMessageRequestParams) -> Optional[types.MessageActionItem]:
            self.requests.append(params)
            self.event.set()
            title = self._title_for(params.message)
            return types.MessageActionItem(title=title) if title else None

    def _title_for(self, message: str) -> Optional[str]:
        if isinstance(self.answers, list):
            return self.answers.pop(0) if self.answers else None
        return next((title for needle, title in self.answers.items() if needle in message), None)

    async def wait(self, count: int, timeout: float = 15.0) -> None:
        async def _wait() -> None:
            while len(self.requests) < count:
                self.event.clear()
                await self.event.wait()

        await asyncio.wait_for(_wait(), timeout)


async def wait_log(client: LanguageClient, needle: str, timeout: float = 10.0) -> None:
    """Wait until the server has logged a line containing ``needle`` (window/logMessage)."""

    async def _wait() -> None:
        while not any(needle in m.message for m in client.log_messages):
            await client.wait_for_notification(types.WINDOW_LOG_MESSAGE)

    await asyncio.wait_for(_wait(), timeout)
