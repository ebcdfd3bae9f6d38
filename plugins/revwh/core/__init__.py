"""The foundation every layer stands on: settings, errors, data intervals, the lead definition
contract, the sources' catalogue and locally generated secrets. Imports no other layer."""
