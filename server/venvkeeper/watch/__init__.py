"""File watching: bounded, non-recursive watchdog watches, a debouncer, and event routing."""
