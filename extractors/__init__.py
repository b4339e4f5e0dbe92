"""Pure content logic: bytes or text in, typed records out.

Nothing in this package touches the network, the store or Prefect.
"""
