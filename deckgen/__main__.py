from deckgen.dependencies import main

if __name__ == "__main__":  # worker processes import this module again; only the real run starts
    main()
