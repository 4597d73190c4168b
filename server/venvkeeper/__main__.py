from venvkeeper.cli import main

raise SystemExit(main())
