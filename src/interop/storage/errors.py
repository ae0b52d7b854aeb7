"""The one error a storage raises when it cannot be opened."""

from __future__ import annotations


class StorageUnavailable(ValueError):
    """The database named by a URL cannot be used: the URL is malformed or of an unknown kind,
    the server cannot be reached, or setting up its tables failed. The message is one line that
    names what failed, fit for the operator's console. A ValueError: the URL the caller gave is what is wrong."""
