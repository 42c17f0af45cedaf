"""The demo shop's word lists: categories, options and the kinds of product each shelf holds.

Plain data, no database: generator.py turns it into products with a seeded random.Random.
"""

from dataclasses import dataclass, field

RGB = tuple[int, int, int]

COLOURS: dict[str, RGB] = {
    "Ecru": (233, 226, 208),
    "Sand": (208, 188, 152),
    "Mustard": (206, 162, 50),
    "Coral": (236, 120, 100),
    "Rust": (168, 84, 48),
    "Burgundy": (112, 34, 48),
    "Sage": (160, 180, 150),
    "Olive": (104, 110, 62),
    "Forest": (43, 82, 60),
    "Sky": (138, 180, 214),
    "Navy": (34, 47, 86),
    "Charcoal": (58, 60, 66),
    "Black": (28, 28, 30),
    "White": (244, 243, 239),
}
SIZES = ["XS", "S", "M", "L", "XL", "XXL", "30 ml", "50 ml", "100 ml", "200 ml"]
# Material: the colour its pictures take and what it adds to the base price.
MATERIALS: dict[str, tuple[RGB, int]] = {
    "Stoneware": ((176, 160, 140), 0),
    "Porcelain": ((236, 236, 232), 6),
    "Enamel": ((60, 110, 140), 4),
    "Oak": ((196, 160, 110), 0),
    "Walnut": ((110, 74, 50), 12),
    "Brass": ((200, 164, 80), 20),
    "Black Steel": ((40, 40, 44), 0),
    "Opal Glass": ((235, 235, 245), 8),
    "Linen": ((214, 200, 178), 0),
    "Cotton": ((240, 236, 226), 0),
    "Wool": ((150, 130, 110), 15),
}
# (name, values in display order); the order sets the options' and values' positions.
OPTIONS = [("Colour", list(COLOURS)), ("Size", SIZES), ("Material", list(MATERIALS))]
SIZE_SURCHARGE = {"XXL": 4}
VOLUME_FACTOR = {"30 ml": "0.55", "50 ml": "0.8", "100 ml": "1", "200 ml": "1.7"}


@dataclass(frozen=True)
class Shelf:
    """A category of the demo tree."""

    slug: str
    name: str
    description: str
    palette: tuple[RGB, RGB]
    children: tuple["Shelf", ...] = ()


CATEGORIES = (
    Shelf(
        "clothing",
        "Clothing",
        "Everyday clothes cut from natural fibres, made to be worn for years.",
        ((214, 200, 178), (34, 47, 86)),
        (
            Shelf(
                "shirts",
                "Shirts",
                "Linen, oxford and flannel shirts for warm days and cool evenings.",
                ((233, 226, 208), (138, 180, 214)),
            ),
            Shelf(
                "knitwear",
                "Knitwear",
                "Merino, lambswool and cotton knits that keep their shape.",
                ((150, 130, 110), (112, 34, 48)),
            ),
            Shelf(
                "outerwear",
                "Outerwear",
                "Jackets and coats for wind and rain, with pockets where you want them.",
                ((104, 110, 62), (58, 60, 66)),
            ),
        ),
    ),
    Shelf(
        "home",
        "Home",
        "Things for the kitchen, the table and the evening light.",
        ((236, 236, 232), (168, 84, 48)),
        (
            Shelf(
                "kitchen",
                "Kitchen",
                "Cookware and tableware that goes from the stove to the table.",
                ((176, 160, 140), (60, 110, 140)),
            ),
            Shelf(
                "lighting",
                "Lighting",
                "Lamps and lights in brass, steel and glass, for a warm room.",
                ((200, 164, 80), (40, 40, 44)),
            ),
            Shelf(
                "home-textiles",
                "Home Textiles",
                "Throws, cushions and table linen in soft, natural fabrics.",
                ((240, 236, 226), (160, 180, 150)),
            ),
        ),
    ),
    Shelf(
        "outdoors",
        "Outdoors",
        "Gear for a night under the stars and a morning in the garden.",
        ((43, 82, 60), (138, 180, 214)),
        (
            Shelf(
                "camping",
                "Camping",
                "Light, tough camping gear that packs small.",
                ((104, 110, 62), (206, 162, 50)),
            ),
            Shelf(
                "garden",
                "Garden",
                "Tools and planters for balconies, yards and allotments.",
                ((160, 180, 150), (110, 74, 50)),
            ),
        ),
    ),
    Shelf(
        "stationery",
        "Stationery",
        "Notebooks, pens and desk things for writing by hand.",
        ((244, 243, 239), (34, 47, 86)),
    ),
    Shelf(
        "toys",
        "Toys",
        "Wooden toys and games for curious hands, safety-tested.",
        ((236, 120, 100), (206, 162, 50)),
    ),
    Shelf(
        "beauty",
        "Beauty",
        "Gentle soaps, oils and balms made in small batches.",
        ((236, 236, 232), (236, 120, 100)),
    ),
    Shelf(
        "electronics-accessories",
        "Electronics Accessories",
        "Cables, chargers and cases that look good on a desk.",
        ((58, 60, 66), (138, 180, 214)),
    ),
)


@dataclass(frozen=True)
class Kind:
    """The products of one shelf: how they are named, described, priced and varied."""

    shelf: str
    code: str
    words: tuple[str, ...]
    nouns: tuple[str, ...]
    options: dict[str, tuple[str, ...]]
    price: tuple[int, int]
    weight: tuple[float, float]
    details: tuple[str, ...]
    features: tuple[str, ...]
    care: str
    # The share of products sold as one plain variant, without options.
    simple_share: float = 0.0
    views: tuple[str, ...] = field(default=("front view", "detail", "in use", "flat lay"))


CLOTHING_SIZES = ("XS", "S", "M", "L", "XL", "XXL")

KINDS = (
    Kind(
        shelf="shirts",
        code="SHR",
        words=("Linen", "Oxford", "Chambray", "Poplin", "Flannel", "Seersucker", "Twill", "Denim"),
        nouns=("Camp Shirt", "Button-Down Shirt", "Overshirt", "Work Shirt", "Popover Shirt"),
        options={
            "Colour": ("Ecru", "Sky", "Navy", "Olive", "White", "Rust", "Sage"),
            "Size": CLOTHING_SIZES,
        },
        price=(39, 98),
        weight=(0.18, 0.36),
        details=(
            "Cut with a relaxed fit and a straight hem that looks right tucked in or worn loose.",
            "The fabric is washed before sewing, so it is soft from the first wear.",
            "Sewn by a family workshop in Portugal that we have worked with for years.",
        ),
        features=(
            "Corozo nut buttons",
            "Single chest pocket",
            "Flat-felled side seams",
            "Pre-washed to prevent shrinking",
            "Box pleat at the back for easy movement",
            "Made from certified organic fibres",
        ),
        care="Machine wash at 30 °C, line dry, iron while slightly damp.",
    ),
    Kind(
        shelf="knitwear",
        code="KNT",
        words=("Merino", "Lambswool", "Cotton", "Alpaca", "Shetland", "Cashmere-Blend"),
        nouns=("Crewneck Sweater", "Cardigan", "Roll-Neck", "Quarter-Zip", "Knit Vest"),
        options={
            "Colour": ("Ecru", "Charcoal", "Burgundy", "Forest", "Navy", "Mustard", "Sand"),
            "Size": CLOTHING_SIZES,
        },
        price=(59, 180),
        weight=(0.25, 0.6),
        details=(
            "Knitted on slow machines in Scotland with a soft, even hand.",
            "Ribbed cuffs and hem keep their grip wash after wash.",
            "A regular fit with room for a shirt underneath.",
        ),
        features=(
            "Fully fashioned shoulders",
            "Ribbed cuffs and hem",
            "Mulesing-free wool",
            "Naturally odour-resistant",
            "Warm without bulk",
            "Reinforced elbows",
        ),
        care="Hand wash cold or use the wool cycle; dry flat.",
    ),
    Kind(
        shelf="outerwear",
        code="OUT",
        words=("Waxed Cotton", "Quilted", "Wool-Blend", "Ripstop", "Canvas", "Corduroy"),
        nouns=("Field Jacket", "Chore Coat", "Parka", "Gilet", "Rain Shell", "Bomber"),
        options={
            "Colour": ("Olive", "Navy", "Black", "Sand", "Rust", "Charcoal"),
            "Size": CLOTHING_SIZES,
        },
        price=(89, 290),
        weight=(0.5, 1.4),
        details=(
            "Built to shrug off wind and showers, with seams taped where water gets in.",
            "Roomy enough for a knit underneath, trim enough to look sharp.",
            "Two-way zip and storm flap for cold, wet mornings.",
        ),
        features=(
            "Water-repellent finish",
            "Two hand-warmer pockets",
            "Inside zip pocket",
            "Adjustable cuffs",
            "Two-way YKK zip",
            "Detachable hood",
        ),
        care="Sponge clean; re-proof once a season.",
    ),
    Kind(
        shelf="kitchen",
        code="KIT",
        words=("Speckled", "Hand-Thrown", "Matte", "Heritage", "Nordic", "Everyday", "Rustic"),
        nouns=(
            "Pour-Over Set",
            "Mixing Bowl",
            "Teapot",
            "Mug Set",
            "Serving Platter",
            "Butter Dish",
        ),
        options={"Material": ("Stoneware", "Porcelain", "Enamel")},
        price=(18, 120),
        weight=(0.3, 2.2),
        details=(
            "Glazed by hand, so no two pieces are quite the same.",
            "Safe in the oven, the microwave and the dishwasher.",
            "Stacks neatly in a cupboard and looks good left out.",
        ),
        features=(
            "Lead-free glaze",
            "Dishwasher and microwave safe",
            "Oven safe up to 220 °C",
            "Made in a small pottery in Stoke-on-Trent",
            "Unglazed foot ring",
        ),
        care="Dishwasher safe; avoid sudden changes of temperature.",
        simple_share=0.3,
    ),
    Kind(
        shelf="lighting",
        code="LGT",
        words=("Arc", "Globe", "Pleated", "Mushroom", "Dome", "Studio", "Bauhaus"),
        nouns=("Table Lamp", "Pendant Light", "Floor Lamp", "Wall Sconce", "Reading Light"),
        options={"Material": ("Brass", "Black Steel", "Opal Glass", "Oak", "Walnut")},
        price=(45, 340),
        weight=(0.8, 6.5),
        details=(
            "Gives a soft, glare-free light that suits a reading corner or a dining table.",
            "Takes a standard E27 bulb; we recommend a warm 2,700 K LED.",
            "Comes with a two-metre braided fabric cable and an inline switch.",
        ),
        features=(
            "E27 bulb holder, bulb not included",
            "Braided fabric cable",
            "Inline dimmer switch",
            "CE and UKCA marked",
            "Weighted base",
        ),
        care="Dust with a dry cloth; switch off before changing the bulb.",
        simple_share=0.2,
    ),
    Kind(
        shelf="home-textiles",
        code="TEX",
        words=("Waffle", "Herringbone", "Stonewashed", "Chunky", "Striped", "Gauze"),
        nouns=("Throw", "Cushion Cover", "Tablecloth", "Tea Towel Set", "Bath Towel"),
        options={"Colour": ("Ecru", "Sage", "Sand", "Coral", "Charcoal", "Sky")},
        price=(14, 140),
        weight=(0.15, 1.8),
        details=(
            "Woven on traditional looms and stonewashed for a soft, lived-in feel.",
            "Gets softer with every wash.",
            "Generously sized, with neatly mitred corners.",
        ),
        features=(
            "OEKO-TEX certified",
            "Stonewashed for softness",
            "Mitred corners",
            "Hidden zip (cushion covers)",
            "Woven in Lithuania",
        ),
        care="Machine wash at 40 °C; tumble dry low.",
        simple_share=0.2,
    ),
    Kind(
        shelf="camping",
        code="CMP",
        words=("Ultralight", "Trail", "Alpine", "Backcountry", "Summit", "Basecamp"),
        nouns=("Camp Mug", "Dry Bag", "Headlamp", "Sleeping Mat", "Camp Stool", "Daypack"),
        options={"Colour": ("Olive", "Rust", "Navy", "Mustard", "Black")},
        price=(12, 160),
        weight=(0.08, 1.6),
        details=(
            "Light enough to forget in your pack, tough enough for years of trips.",
            "Tested on long weekends in the Cairngorms and the Alps.",
            "Packs down small and clips to a harness loop.",
        ),
        features=(
            "Weighs less than you think",
            "Recycled ripstop fabric",
            "Lifetime repair service",
            "Reflective details",
            "PFC-free water repellency",
        ),
        care="Rinse after salty or muddy trips and dry before storing.",
        simple_share=0.25,
    ),
    Kind(
        shelf="garden",
        code="GRD",
        words=("Forged", "Galvanised", "Terracotta", "Cedar", "Copper", "Classic"),
        nouns=("Hand Trowel", "Watering Can", "Planter", "Pruning Shears", "Seed Tray", "Kneeler"),
        options={},
        price=(9, 95),
        weight=(0.2, 3.5),
        details=(
            "Made to be used hard and handed down.",
            "Balanced for long afternoons of digging, potting and pruning.",
            "Ages beautifully outside, in sun and rain.",
        ),
        features=(
            "Ash wood handle",
            "Frost-resistant",
            "Ten-year guarantee",
            "Drainage holes",
            "Rust-proof finish",
        ),
        care="Clean and dry after use; oil wooden handles once a year.",
        simple_share=1.0,
    ),
    Kind(
        shelf="stationery",
        code="STN",
        words=("Dot-Grid", "Lined", "Pocket", "Linen-Bound", "Recycled", "Desk"),
        nouns=("Notebook", "Planner", "Fountain Pen", "Pencil Set", "Sketchbook", "Letter Set"),
        options={"Colour": ("Navy", "Burgundy", "Forest", "Black", "Mustard", "Sky")},
        price=(6, 85),
        weight=(0.02, 0.6),
        details=(
            "Printed on 100 gsm paper that takes fountain-pen ink without bleeding.",
            "Lies flat when open, thanks to a sewn binding.",
            "Small enough for a coat pocket, big enough for real notes.",
        ),
        features=(
            "100 gsm acid-free paper",
            "Lay-flat sewn binding",
            "Numbered pages",
            "Ribbon marker",
            "Elastic closure",
        ),
        care="Keep away from damp; refills are sold separately.",
        simple_share=0.4,
    ),
    Kind(
        shelf="toys",
        code="TOY",
        words=("Wooden", "Stacking", "Rainbow", "Pull-Along", "Magnetic", "Felt"),
        nouns=("Train Set", "Puzzle", "Building Blocks", "Animal Set", "Marble Run", "Memory Game"),
        options={},
        price=(12, 110),
        weight=(0.2, 2.4),
        details=(
            "Made from FSC-certified beech and finished with water-based paints.",
            "Encourages open-ended play for toddlers and older children alike.",
            "Tested to EN 71 toy-safety standards.",
        ),
        features=(
            "Non-toxic water-based paints",
            "FSC-certified wood",
            "Suitable from 3 years",
            "Storage bag included",
            "Tested to EN 71",
        ),
        care="Wipe clean with a damp cloth.",
        simple_share=1.0,
    ),
    Kind(
        shelf="beauty",
        code="BTY",
        words=("Rose", "Oat", "Seaweed", "Lavender", "Cedarwood", "Neroli", "Calendula"),
        nouns=("Face Oil", "Hand Cream", "Body Wash", "Lip Balm", "Cleansing Balm", "Bar Soap"),
        options={"Size": ("30 ml", "50 ml", "100 ml", "200 ml")},
        price=(8, 58),
        weight=(0.05, 0.4),
        details=(
            "Blended in small batches from cold-pressed plant oils.",
            "Gentle enough for sensitive skin, with no added perfume.",
            "Comes in a recyclable glass bottle with an aluminium cap.",
        ),
        features=(
            "Vegan and cruelty-free",
            "No synthetic fragrance",
            "Recyclable packaging",
            "Made in small batches",
            "Dermatologically tested",
        ),
        care="Store somewhere cool and use within twelve months of opening.",
        simple_share=0.3,
    ),
    Kind(
        shelf="electronics-accessories",
        code="ELA",
        words=("Braided", "Magnetic", "Leather", "Compact", "Aluminium", "Wireless"),
        nouns=("USB-C Cable", "Charging Stand", "Laptop Sleeve", "Power Bank", "Cable Organiser"),
        options={"Colour": ("Black", "White", "Charcoal", "Sand", "Sky")},
        price=(12, 130),
        weight=(0.04, 0.7),
        details=(
            "Designed to live on a desk without adding clutter.",
            "Tested for 10,000 bends at the connector.",
            "Works with phones, tablets and laptops that charge over USB-C.",
        ),
        features=(
            "USB-C Power Delivery up to 100 W",
            "Two-year warranty",
            "Vegetable-tanned leather",
            "Non-slip base",
            "Recycled aluminium",
        ),
        care="Keep dry; wipe with a soft cloth.",
        simple_share=0.3,
    ),
)
