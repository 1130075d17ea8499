from soc2kit.cli import main

main(prog_name="soc2kit")
