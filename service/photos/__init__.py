"""Photo handling: checks at intake, derivatives and private metadata.

Importing this package registers the HEIF/HEIC opener with Pillow, so every
module that decodes photos accepts the iPhone's default format.
"""

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

# The most pixels a photo may have unless the operator sets another limit
# (MACHIKOE_MAX_IMAGE_PIXELS): above every current phone camera, whose 200 MP
# modes write 16320x12240 (199.8 million pixels), intake and the photo step alike.
MAX_PIXELS = 210_000_000

# Pillow's own decompression-bomb guard is one number for the whole process
# (89.5 million pixels), below a 200 MP phone photo and deaf to the operator's
# setting. Every decode in this package reads the pixel count from the header
# and refuses it against ``max_pixels`` before a single pixel is decoded, so
# that check takes the guard's place.
Image.MAX_IMAGE_PIXELS = None


class PhotoRejected(ValueError):
    """The bytes are not an acceptable photo, at intake or in a worker; ``reason`` says why in plain English."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
