"""Generated pictures for the demo shop: a gradient, a few shapes and the product's name.

Deterministic: the same title, palette and seed give the same bytes on one machine. A DejaVu or
Noto font is used when the system has one, Pillow's built-in font otherwise.
"""

import random
from collections.abc import Sequence
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .data import RGB

SIZE = (800, 800)
QUALITY = 80
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/noto/NotoSans-Bold.ttf",
)
GRADIENTS = ("vertical", "horizontal", "diagonal", "radial")
SHAPES = ("circle", "ring", "square", "triangle", "stripe")


@lru_cache
def font(size: int):
    """A bold font of `size` pixels: a system DejaVu or Noto font, else Pillow's own."""
    for path in FONT_FILES:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


@lru_cache
def _gradient(kind: str, size: tuple[int, int]) -> Image.Image:
    """A greyscale mask running from black to white across the picture."""
    if kind == "radial":
        return Image.radial_gradient("L").resize(size)
    mask = Image.linear_gradient("L")
    if kind == "horizontal":
        mask = mask.transpose(Image.Transpose.ROTATE_90)
    elif kind == "diagonal":
        mask = mask.rotate(45, resample=Image.Resampling.BILINEAR, expand=True)
        inset = (mask.width - 256) // 2
        mask = mask.crop((inset, inset, inset + 256, inset + 256))
    return mask.resize(size, Image.Resampling.BILINEAR)


def _mix(colour: RGB, other: RGB, share: float) -> RGB:
    return tuple(round(a + (b - a) * share) for a, b in zip(colour, other, strict=True))


def _ink(background: RGB) -> RGB:
    """Dark text on light colours, light text on dark ones."""
    red, green, blue = background
    return (28, 28, 30) if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else (250, 250, 248)


def _shape(draw: ImageDraw.ImageDraw, rng: random.Random, colour, size: tuple[int, int]):
    width, height = size
    x, y = rng.randrange(width), rng.randrange(height * 3 // 4)
    radius = rng.randrange(min(size) // 12, min(size) // 3)
    box = (x - radius, y - radius, x + radius, y + radius)
    kind = rng.choice(SHAPES)
    if kind == "circle":
        draw.ellipse(box, fill=colour)
    elif kind == "ring":
        draw.ellipse(box, outline=colour, width=max(6, radius // 5))
    elif kind == "square":
        draw.rounded_rectangle(box, radius=radius // 4, fill=colour)
    elif kind == "triangle":
        draw.regular_polygon((x, y, radius), 3, rotation=rng.randrange(120), fill=colour)
    else:
        band = max(8, radius // 4)
        for offset in range(-2, 3):
            top = y + offset * band * 2
            draw.rectangle((0, top, width, top + band), fill=colour)


def _wrap(text: str, size: int, max_width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and font(size).getlength(candidate) > max_width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def _fit(text: str, max_width: int, largest: int) -> tuple[int, list[str]]:
    """The largest font size (and lines) that sets `text` in two lines of `max_width`."""
    size = largest
    while size > 18:
        lines = _wrap(text, size, max_width)
        if len(lines) <= 2 and all(font(size).getlength(line) <= max_width for line in lines):
            return size, lines
        size -= 4
    return size, _wrap(text, size, max_width)[:2]


def picture(
    *,
    title: str,
    palette: Sequence[RGB],
    seed: str,
    caption: str = "",
    size: tuple[int, int] = SIZE,
) -> bytes:
    """Draw a JPEG picture: a gradient from the palette, a few shapes, the title on a band."""
    rng = random.Random(seed)
    colours = list(palette) or [(200, 200, 200)]
    start = _mix(colours[0], (255, 255, 255), 0.35)
    end = colours[(rng.randrange(len(colours) - 1) + 1) if len(colours) > 1 else 0]
    end = _mix(end, (0, 0, 0), 0.15)
    # A smooth gradient loses nothing when drawn small and enlarged, and costs far less.
    small = (size[0] // 8, size[1] // 8)
    mask = _gradient(rng.choice(GRADIENTS), small)
    image = Image.composite(Image.new("RGB", small, end), Image.new("RGB", small, start), mask)
    image = image.resize(size, Image.Resampling.BILINEAR)

    # An RGBA drawing context blends the translucent shapes straight onto the picture.
    draw = ImageDraw.Draw(image, "RGBA")
    accents = [*colours, (255, 255, 255), _mix(colours[0], (0, 0, 0), 0.5)]
    for _ in range(rng.randint(4, 7)):
        _shape(draw, rng, (*rng.choice(accents), rng.randint(90, 200)), size)

    width, height = size
    margin = width // 16
    title_size, lines = _fit(title, width - 4 * margin, largest=width // 12)
    caption_size = max(16, title_size // 2)
    line_height = round(title_size * 1.2)
    band_height = len(lines) * line_height + (caption_size * 2 if caption else 0) + 2 * margin
    band_top = height - margin - band_height
    band_colour = _mix(colours[0], (255, 255, 255), 0.8)
    draw.rounded_rectangle(
        (margin, band_top, width - margin, height - margin),
        radius=margin // 2,
        fill=(*band_colour, 225),
    )
    ink = _ink(band_colour)
    top = band_top + margin
    for line in lines:
        draw.text((width // 2, top), line, font=font(title_size), fill=ink, anchor="ma")
        top += line_height
    if caption:
        draw.text(
            (width // 2, top + caption_size // 2),
            caption,
            font=font(caption_size),
            fill=_mix(ink, band_colour, 0.35),
            anchor="ma",
        )
    output = BytesIO()
    image.save(output, "JPEG", quality=QUALITY)
    return output.getvalue()
