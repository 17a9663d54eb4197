from refeed.cli import main

raise SystemExit(main())
