"""Never finishes loading: the spin is in a class body, which loading a definition runs."""


class Model:
    while True:
        pass
