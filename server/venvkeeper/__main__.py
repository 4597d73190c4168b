from venvkeeper.launch import main

raise SystemExit(main())
