"""The one error socklab's Python tools raise for input they cannot use."""


class InputError(Exception):
    """An input file that cannot be used; str() is one line naming the file and the problem."""
