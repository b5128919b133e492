from qnp_engine.cli import main

main()
