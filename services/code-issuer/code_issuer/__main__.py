from code_issuer.cli import main

main()
