from registration.cli import main

main()
