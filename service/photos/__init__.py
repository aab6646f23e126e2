"""Photo handling: checks at intake, derivatives and private metadata.

Importing this package registers the HEIF/HEIC opener with Pillow, so every
module that decodes photos accepts the iPhone's default format.
"""

import pillow_heif

pillow_heif.register_heif_opener()


class PhotoRejected(ValueError):
    """The bytes are not an acceptable photo, at intake or in a worker; ``reason`` says why in plain English."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
