//! `--demo` store: five categories and three dozen products with descriptions, prices (cents)
//! and stock, a few of them sold out or nearly so, so that every filter has something to show.

use crate::db::Tx;

use crate::db::catalog::{self, NewProduct};

const CATEGORIES: &[(&str, &str)] = &[
    ("Kitchen", "Cookware, knives and the small tools that make a kitchen work."),
    ("Office", "Desks, lamps, paper and everything for a tidy workday."),
    ("Outdoors", "Camping, hiking and cycling gear that survives the weather."),
    ("Audio", "Headphones, speakers and the cables between them."),
    ("Home", "Textiles, lighting and small comforts for every room."),
];

/// (category, name, description, price in cents, stock)
const PRODUCTS: &[(&str, &str, &str, i64, i64)] = &[
    (
        "Kitchen",
        "Cast Iron Skillet 26 cm",
        "Pre-seasoned cast iron that goes from hob to oven; heats evenly and lasts generations.",
        3_999,
        42,
    ),
    (
        "Kitchen",
        "Chef's Knife 20 cm",
        "Forged stainless steel blade with a full tang and a riveted walnut handle.",
        7_450,
        18,
    ),
    (
        "Kitchen",
        "Bamboo Cutting Board",
        "Thick end-grain bamboo board with a juice groove; kind to knife edges.",
        2_499,
        60,
    ),
    (
        "Kitchen",
        "Pour-Over Coffee Set",
        "Glass carafe, ceramic dripper and 100 paper filters for a clean, bright cup.",
        3_450,
        25,
    ),
    (
        "Kitchen",
        "Digital Kitchen Scale",
        "Weighs up to 5 kg in 1 g steps, with tare and a wipe-clean glass top.",
        1_899,
        75,
    ),
    (
        "Kitchen",
        "Enamel Dutch Oven 5 L",
        "Enamelled cast iron pot for stews, bread and slow braises. Oven safe to 260 °C.",
        8_900,
        3,
    ),
    (
        "Kitchen",
        "Silicone Spatula Set",
        "Three heat-resistant spatulas in graded sizes; dishwasher safe.",
        1_250,
        0,
    ),
    (
        "Office",
        "Oak Desk Organizer",
        "Solid oak tray with compartments for pens, cards and a phone stand.",
        3_200,
        30,
    ),
    (
        "Office",
        "LED Desk Lamp",
        "Dimmable lamp with adjustable colour temperature and a USB-C charging port.",
        4_999,
        22,
    ),
    (
        "Office",
        "Dot-Grid Notebook A5",
        "192 numbered pages of 100 g/m² paper that takes fountain pen ink without bleeding.",
        1_650,
        140,
    ),
    (
        "Office",
        "Ergonomic Mouse",
        "Vertical wireless mouse that keeps the wrist in a handshake position.",
        3_999,
        35,
    ),
    (
        "Office",
        "Mechanical Keyboard",
        "Tenkeyless keyboard with hot-swappable tactile switches and PBT keycaps.",
        11_900,
        9,
    ),
    (
        "Office",
        "Monitor Riser",
        "Steel and beech riser that lifts a screen to eye level and frees up desk space.",
        4_450,
        16,
    ),
    (
        "Office",
        "Fountain Pen",
        "Steel medium nib, converter and five cartridges in a brushed aluminium body.",
        2_800,
        1,
    ),
    (
        "Outdoors",
        "Two-Person Tent",
        "Freestanding 3-season tent, 1.9 kg, with two doors and two vestibules.",
        24_900,
        7,
    ),
    (
        "Outdoors",
        "Down Sleeping Bag",
        "650-fill down bag rated to -5 °C, with a compression sack.",
        18_900,
        11,
    ),
    (
        "Outdoors",
        "Trekking Poles (Pair)",
        "Carbon fibre poles with cork grips and quick flick-locks.",
        8_999,
        20,
    ),
    (
        "Outdoors",
        "Insulated Water Bottle 750 ml",
        "Double-wall steel keeps drinks cold for 24 hours or hot for 12.",
        2_950,
        88,
    ),
    (
        "Outdoors",
        "Headlamp 400 lm",
        "Rechargeable headlamp with red light mode and a lock against switching on in the bag.",
        3_499,
        40,
    ),
    ("Outdoors", "Camp Stove", "Compact canister stove that boils a litre in under four minutes.", 4_599, 0),
    (
        "Outdoors",
        "Bike Repair Kit",
        "Multi-tool, tyre levers, patches and a mini pump in a saddle bag.",
        3_150,
        27,
    ),
    (
        "Audio",
        "Wireless Headphones",
        "Over-ear headphones with active noise cancelling and 30-hour battery life.",
        19_900,
        14,
    ),
    (
        "Audio",
        "Bookshelf Speakers (Pair)",
        "Passive two-way speakers with a 13 cm woofer and silk-dome tweeter.",
        27_900,
        5,
    ),
    (
        "Audio",
        "USB Microphone",
        "Cardioid condenser microphone with a headphone jack and mute button.",
        8_950,
        19,
    ),
    ("Audio", "In-Ear Monitors", "Dual-driver earphones with detachable cables and foam tips.", 6_900, 33),
    ("Audio", "Portable Speaker", "Waterproof Bluetooth speaker with 12 hours of playback.", 5_999, 2),
    (
        "Audio",
        "Braided Audio Cable 3.5 mm",
        "1.5 m gold-plated cable with a braided jacket that does not tangle.",
        999,
        200,
    ),
    (
        "Audio",
        "Turntable",
        "Belt-drive turntable with a built-in preamp and a pre-mounted cartridge.",
        22_900,
        0,
    ),
    (
        "Home",
        "Linen Throw Blanket",
        "Stonewashed linen throw, 130 × 170 cm, that softens with every wash.",
        6_900,
        24,
    ),
    (
        "Home",
        "Scented Candle",
        "Soy wax candle with cedar and bergamot; about 45 hours of burn time.",
        1_800,
        90,
    ),
    (
        "Home",
        "Ceramic Table Lamp",
        "Hand-glazed base with a linen shade and a warm-white E27 bulb.",
        7_900,
        8,
    ),
    ("Home", "Wool Doormat", "Thick coir and wool mat that scrapes boots clean.", 3_450, 45),
    (
        "Home",
        "Glass Storage Jars (Set of 4)",
        "Borosilicate jars with airtight bamboo lids for pantry staples.",
        2_999,
        52,
    ),
    ("Home", "Cotton Bath Towels (Pair)", "600 g/m² organic cotton towels, 70 × 140 cm.", 4_200, 36),
    ("Home", "Wall Clock", "Silent sweep movement in a 30 cm oak frame.", 3_900, 12),
];

pub async fn seed(tx: &mut Tx) -> Result<(), sqlx::Error> {
    let mut ids = Vec::with_capacity(CATEGORIES.len());
    for (name, description) in CATEGORIES {
        ids.push((*name, catalog::insert_category(&mut *tx, name, Some(description)).await?));
    }
    for (category, name, description, price, quantity) in PRODUCTS {
        let category_id = ids.iter().find(|(n, _)| n == category).map(|(_, id)| *id);
        let product = NewProduct {
            name: (*name).to_owned(),
            description: Some((*description).to_owned()),
            price: *price,
            quantity: *quantity,
            category_id,
            image_url: None,
        };
        catalog::insert_product(&mut *tx, &product).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_catalog_is_believable_and_valid() {
        assert!((4..=6).contains(&CATEGORIES.len()));
        assert!((30..=40).contains(&PRODUCTS.len()));
        for (category, name, description, price, quantity) in PRODUCTS {
            assert!(CATEGORIES.iter().any(|(c, _)| c == category), "{name}: unknown category");
            assert!(crate::domain::text::text(name, crate::domain::catalog::PRODUCT_NAME_MAX).is_ok());
            assert!(!description.is_empty());
            assert!(crate::domain::Cents::parse(*price).is_ok() && *price > 0);
            assert!(crate::domain::Stock::parse(*quantity).is_ok());
        }
    }
}
