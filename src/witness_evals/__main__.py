from witness_evals.cli import main

main()
