"""A 200 MP phone photo is decoded at reduced scale: its derivatives cost little time and memory."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]

# Made in a process of its own so that the figure is the photo step's alone.
# Linux resets the peak resident size (VmHWM) when 5 is written to clear_refs.
_MEASURE = """
import sys
from service.photos.derivatives import make_derivatives
with open(sys.argv[1], "rb") as photo:
    data = photo.read()
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")
derivatives = make_derivatives(data)
with open("/proc/self/status") as status:
    peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(derivatives.large.width, derivatives.large.height, peak_kib)
"""


def test_200_megapixel_jpeg_gets_its_derivatives_in_a_fraction_of_its_decoded_size(tmp_path):
    # 16320x12240 grey pixels take 200 MB decoded at full size; at 1/8 DCT scale, 3 MB.
    picture = Image.new("L", (16320, 12240), 90)
    picture.paste(220, (0, 0, 16320, 6120))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    del picture
    path = tmp_path / "200mp.jpg"
    path.write_bytes(buffer.getvalue())

    result = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=120, check=True)

    width, height, peak_kib = (int(value) for value in result.stdout.split())
    assert (width, height) == (1600, 1200)
    # The interpreter with Pillow and pillow-heif loaded takes about 55 MB; a
    # full-size decode would add 200 MB.
    assert peak_kib < 120 * 1024
