//! The static tables the catalog is generated from: currencies with their
//! denominations and a fixed exchange-rate table, regions, and brands with their
//! line-ups, redeem pages and instructions. Figures are plausible, not live.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    GiftCard,
    GameTopup,
    MobileTopup,
    SoftwareKey,
}

pub(crate) struct Currency {
    pub code: &'static str,
    /// Written before the amount (`$20`); `suffix` after it (`50 zł`).
    pub prefix: &'static str,
    pub suffix: &'static str,
    /// Minor-unit digits used when pricing (JPY and IDR have none in practice).
    pub decimals: u32,
    /// Value of one unit in USD as (mantissa, scale) for `Decimal::new`.
    pub to_usd: (i64, u32),
    /// Denominations sold everywhere, then the less common ones used when a large
    /// catalog is asked for.
    pub denominations: &'static [u32],
    pub extra_denominations: &'static [u32],
    /// Open-amount range (min, max, step) for brands that take any amount.
    pub open: (u32, u32, u32),
}

pub(crate) const CURRENCIES: &[Currency] = &[
    Currency {
        code: "USD",
        prefix: "$",
        suffix: "",
        decimals: 2,
        to_usd: (1, 0),
        denominations: &[5, 10, 20, 25, 50, 100],
        extra_denominations: &[15, 30, 40, 60, 75, 150, 200, 250, 300, 500],
        open: (1, 1000, 1),
    },
    Currency {
        code: "GBP",
        prefix: "£",
        suffix: "",
        decimals: 2,
        to_usd: (127, 2),
        denominations: &[5, 10, 15, 20, 25, 50, 100],
        extra_denominations: &[30, 40, 60, 75, 150, 200, 250],
        open: (1, 1000, 1),
    },
    Currency {
        code: "EUR",
        prefix: "€",
        suffix: "",
        decimals: 2,
        to_usd: (108, 2),
        denominations: &[5, 10, 15, 20, 25, 50, 100],
        extra_denominations: &[30, 35, 40, 60, 75, 150, 200, 250],
        open: (1, 1000, 1),
    },
    Currency {
        code: "INR",
        prefix: "₹",
        suffix: "",
        decimals: 2,
        to_usd: (12, 3),
        denominations: &[100, 250, 500, 1000, 2000, 5000],
        extra_denominations: &[150, 200, 300, 750, 1500, 2500, 3000, 10000],
        open: (10, 50000, 10),
    },
    Currency {
        code: "BRL",
        prefix: "R$",
        suffix: "",
        decimals: 2,
        to_usd: (18, 2),
        denominations: &[20, 30, 50, 100, 200, 250],
        extra_denominations: &[15, 25, 40, 60, 70, 150, 300, 500],
        open: (5, 3000, 1),
    },
    Currency {
        code: "TRY",
        prefix: "₺",
        suffix: "",
        decimals: 2,
        to_usd: (29, 3),
        denominations: &[50, 100, 200, 250, 500, 1000],
        extra_denominations: &[25, 75, 150, 300, 400, 750, 1500, 2000, 2500],
        open: (10, 20000, 10),
    },
    Currency {
        code: "AED",
        prefix: "AED ",
        suffix: "",
        decimals: 2,
        to_usd: (2723, 4),
        denominations: &[25, 50, 100, 200, 500],
        extra_denominations: &[30, 75, 150, 250, 300, 1000],
        open: (10, 3000, 5),
    },
    Currency {
        code: "SAR",
        prefix: "SAR ",
        suffix: "",
        decimals: 2,
        to_usd: (2667, 4),
        denominations: &[25, 50, 100, 200, 500],
        extra_denominations: &[30, 75, 150, 250, 300, 1000],
        open: (10, 3000, 5),
    },
    Currency {
        code: "JPY",
        prefix: "¥",
        suffix: "",
        decimals: 0,
        to_usd: (67, 4),
        denominations: &[1000, 1500, 3000, 5000, 10000],
        extra_denominations: &[500, 2000, 2500, 4000, 7500, 15000, 20000, 30000],
        open: (500, 50000, 100),
    },
    Currency {
        code: "CAD",
        prefix: "C$",
        suffix: "",
        decimals: 2,
        to_usd: (73, 2),
        denominations: &[10, 20, 25, 50, 100],
        extra_denominations: &[15, 30, 40, 75, 150, 200, 250],
        open: (1, 1000, 1),
    },
    Currency {
        code: "AUD",
        prefix: "A$",
        suffix: "",
        decimals: 2,
        to_usd: (66, 2),
        denominations: &[10, 20, 30, 50, 100],
        extra_denominations: &[15, 25, 40, 60, 75, 150, 200, 250],
        open: (1, 1000, 1),
    },
    Currency {
        code: "MXN",
        prefix: "MX$",
        suffix: "",
        decimals: 2,
        to_usd: (55, 3),
        denominations: &[100, 200, 300, 500, 1000],
        extra_denominations: &[150, 250, 400, 600, 750, 1500, 2000],
        open: (50, 20000, 10),
    },
    Currency {
        code: "PLN",
        prefix: "",
        suffix: " zł",
        decimals: 2,
        to_usd: (25, 2),
        denominations: &[20, 50, 100, 200],
        extra_denominations: &[30, 40, 60, 70, 150, 250, 300, 500],
        open: (10, 5000, 5),
    },
    Currency {
        code: "IDR",
        prefix: "Rp",
        suffix: "",
        decimals: 0,
        to_usd: (63, 6),
        denominations: &[15000, 50000, 100000, 150000, 300000, 500000],
        extra_denominations: &[20000, 25000, 75000, 200000, 250000, 1000000],
        open: (10000, 2000000, 5000),
    },
    Currency {
        code: "PHP",
        prefix: "₱",
        suffix: "",
        decimals: 2,
        to_usd: (175, 4),
        denominations: &[100, 250, 500, 1000, 2500],
        extra_denominations: &[150, 200, 300, 750, 1500, 2000, 5000],
        open: (50, 20000, 10),
    },
    Currency {
        code: "ZAR",
        prefix: "R",
        suffix: "",
        decimals: 2,
        to_usd: (55, 3),
        denominations: &[100, 200, 300, 500, 1000],
        extra_denominations: &[50, 150, 250, 400, 750, 1500, 2000],
        open: (50, 10000, 10),
    },
];

pub(crate) fn currency(code: &str) -> Option<&'static Currency> {
    CURRENCIES.iter().find(|c| c.code == code)
}

/// Region code (ISO 3166 alpha-2 or `GLOBAL`) and its local currency.
pub(crate) const REGIONS: &[(&str, &str)] = &[
    ("US", "USD"),
    ("GB", "GBP"),
    ("DE", "EUR"),
    ("FR", "EUR"),
    ("ES", "EUR"),
    ("IT", "EUR"),
    ("IN", "INR"),
    ("BR", "BRL"),
    ("TR", "TRY"),
    ("AE", "AED"),
    ("SA", "SAR"),
    ("JP", "JPY"),
    ("CA", "CAD"),
    ("AU", "AUD"),
    ("MX", "MXN"),
    ("PL", "PLN"),
    ("ID", "IDR"),
    ("PH", "PHP"),
    ("ZA", "ZAR"),
    ("GLOBAL", "USD"),
];

pub(crate) fn region_currency(region: &str) -> Option<&'static str> {
    REGIONS.iter().find(|(r, _)| *r == region).map(|(_, c)| *c)
}

/// Amazon runs one storefront per country; its redeem page lives on each.
pub(crate) fn amazon_domain(region: &str) -> &'static str {
    match region {
        "GB" => "amazon.co.uk",
        "DE" => "amazon.de",
        "FR" => "amazon.fr",
        "ES" => "amazon.es",
        "IT" => "amazon.it",
        "IN" => "amazon.in",
        "BR" => "amazon.com.br",
        "TR" => "amazon.com.tr",
        "AE" => "amazon.ae",
        "SA" => "amazon.sa",
        "JP" => "amazon.co.jp",
        "CA" => "amazon.ca",
        "AU" => "amazon.com.au",
        "MX" => "amazon.com.mx",
        "PL" => "amazon.pl",
        _ => "amazon.com",
    }
}

/// An in-game currency pack: units and its USD list price in cents.
pub(crate) struct Pack {
    pub units: u32,
    pub usd_cents: u32,
}

const fn pack(units: u32, usd_cents: u32) -> Pack {
    Pack { units, usd_cents }
}

/// A software edition; `devices` is its default seat count (0 = not sold per device).
pub(crate) struct Edition {
    pub code: &'static str,
    pub label: &'static str,
    pub usd_cents: u32,
    pub devices: u32,
}

const fn edition(code: &'static str, label: &'static str, usd_cents: u32, devices: u32) -> Edition {
    Edition {
        code,
        label,
        usd_cents,
        devices,
    }
}

pub(crate) enum Lineup {
    /// `"{stem} {face}"`, one line per region, denominations from the currency.
    GiftCard {
        stem: &'static str,
        regions: &'static [&'static str],
    },
    /// `"{brand} {units} {unit}"`, local prices derived from the USD list price.
    GameTopup {
        unit: &'static str,
        regions: &'static [&'static str],
        packs: &'static [Pack],
        extra_packs: &'static [Pack],
    },
    /// `"{stem} {face}"`, operator plans per region.
    MobileTopup {
        stem: &'static str,
        plans: &'static [(&'static str, &'static [u32])],
    },
    /// `"{brand} {edition}[ N Devices][ N Years]"`; the default seats and one year
    /// are the common listing, other seat counts and terms are the long tail.
    SoftwareKey {
        regions: &'static [&'static str],
        editions: &'static [Edition],
        devices: &'static [u32],
        years: &'static [u32],
    },
}

pub(crate) struct Brand {
    pub name: &'static str,
    /// Sku prefix: uppercase ASCII, no dashes.
    pub code: &'static str,
    pub category: Category,
    /// `{domain}` is replaced per region (Amazon).
    pub redeem_url: &'static str,
    pub instructions: &'static str,
    pub lineup: Lineup,
}

const GIFT_WIDE: &[&str] = &[
    "US", "GB", "DE", "FR", "ES", "IT", "IN", "BR", "TR", "AE", "SA", "JP", "CA", "AU", "MX", "PL",
    "ID", "PH", "ZA",
];
const SOFTWARE_REGIONS: &[&str] = &["GLOBAL", "US", "GB", "DE", "FR", "IN", "BR", "TR"];

pub(crate) const BRANDS: &[Brand] = &[
    // Gift cards.
    Brand {
        name: "Steam",
        code: "STEAM",
        category: Category::GiftCard,
        redeem_url: "https://store.steampowered.com/account/redeemwalletcode",
        instructions: "Sign in to Steam, open Redeem a Steam Wallet Code, enter the code.",
        lineup: Lineup::GiftCard {
            stem: "Steam Gift Card",
            regions: GIFT_WIDE,
        },
    },
    Brand {
        name: "Google Play",
        code: "GOOGLEPLAY",
        category: Category::GiftCard,
        redeem_url: "https://play.google.com/redeem",
        instructions: "Open the Play Store app, tap your profile icon, choose Payments & subscriptions > Redeem code, enter the code.",
        lineup: Lineup::GiftCard {
            stem: "Google Play Gift Card",
            regions: GIFT_WIDE,
        },
    },
    Brand {
        name: "Apple",
        code: "APPLE",
        category: Category::GiftCard,
        redeem_url: "https://apps.apple.com/redeem",
        instructions: "Open the App Store, tap your photo, choose Redeem Gift Card or Code, enter the code.",
        lineup: Lineup::GiftCard {
            stem: "Apple Gift Card",
            regions: &[
                "US", "GB", "DE", "FR", "ES", "IT", "IN", "BR", "TR", "AE", "SA", "JP", "CA", "AU",
                "MX",
            ],
        },
    },
    Brand {
        name: "Amazon",
        code: "AMAZON",
        category: Category::GiftCard,
        redeem_url: "https://www.{domain}/gc/redeem",
        instructions: "Sign in to your Amazon account, open Gift Cards > Redeem a Gift Card, enter the claim code.",
        lineup: Lineup::GiftCard {
            stem: "Amazon Gift Card",
            regions: &[
                "US", "GB", "DE", "FR", "ES", "IT", "IN", "BR", "TR", "AE", "SA", "JP", "CA", "AU",
                "MX", "PL",
            ],
        },
    },
    Brand {
        name: "PlayStation",
        code: "PSN",
        category: Category::GiftCard,
        redeem_url: "https://store.playstation.com/redeem",
        instructions: "On PlayStation Store select your avatar > Redeem Codes, enter the code.",
        lineup: Lineup::GiftCard {
            stem: "PlayStation Store Gift Card",
            regions: &[
                "US", "GB", "DE", "FR", "ES", "IT", "IN", "BR", "TR", "AE", "SA", "JP", "CA", "AU",
                "MX", "PL", "ZA",
            ],
        },
    },
    Brand {
        name: "Xbox",
        code: "XBOX",
        category: Category::GiftCard,
        redeem_url: "https://redeem.microsoft.com",
        instructions: "Sign in at redeem.microsoft.com, or press the Xbox button > Store > Redeem, enter the code.",
        lineup: Lineup::GiftCard {
            stem: "Xbox Gift Card",
            regions: &[
                "US", "GB", "DE", "FR", "ES", "IT", "IN", "BR", "TR", "AE", "SA", "JP", "CA", "AU",
                "MX", "PL", "ZA",
            ],
        },
    },
    Brand {
        name: "Nintendo eShop",
        code: "NINTENDO",
        category: Category::GiftCard,
        redeem_url: "https://ec.nintendo.com/redeem",
        instructions: "Open Nintendo eShop on the console, select Enter Code, enter the code.",
        lineup: Lineup::GiftCard {
            stem: "Nintendo eShop Card",
            regions: &["US", "GB", "DE", "FR", "ES", "IT", "JP", "CA", "AU", "MX"],
        },
    },
    Brand {
        name: "Netflix",
        code: "NETFLIX",
        category: Category::GiftCard,
        redeem_url: "https://www.netflix.com/redeem",
        instructions: "Go to netflix.com/redeem, sign in, enter the code.",
        lineup: Lineup::GiftCard {
            stem: "Netflix Gift Card",
            regions: GIFT_WIDE,
        },
    },
    Brand {
        name: "Spotify",
        code: "SPOTIFY",
        category: Category::GiftCard,
        redeem_url: "https://www.spotify.com/redeem",
        instructions: "Go to spotify.com/redeem, log in, enter the code.",
        lineup: Lineup::GiftCard {
            stem: "Spotify Premium Gift Card",
            regions: &[
                "US", "GB", "DE", "FR", "ES", "IT", "IN", "BR", "AE", "SA", "CA", "AU", "MX", "PL",
                "ID", "PH", "ZA",
            ],
        },
    },
    Brand {
        name: "Razer Gold",
        code: "RAZERGOLD",
        category: Category::GiftCard,
        redeem_url: "https://gold.razer.com/gold/reload",
        instructions: "Sign in to Razer Gold, choose Reload > Razer Gold PIN, enter the code.",
        lineup: Lineup::GiftCard {
            stem: "Razer Gold Gift Card",
            regions: &[
                "GLOBAL", "US", "IN", "BR", "TR", "AE", "SA", "MX", "ID", "PH",
            ],
        },
    },
    // Game top-ups.
    Brand {
        name: "PUBG Mobile",
        code: "PUBGM",
        category: Category::GameTopup,
        redeem_url: "https://www.midasbuy.com/midasbuy/ot/redeem/pubgm",
        instructions: "Open Midasbuy, choose PUBG Mobile, enter your Player ID and redeem the code.",
        lineup: Lineup::GameTopup {
            unit: "UC",
            regions: &["GLOBAL", "TR", "AE", "SA", "ID", "PH"],
            packs: &[
                pack(60, 99),
                pack(325, 499),
                pack(660, 999),
                pack(1800, 2499),
                pack(3850, 4999),
                pack(8100, 9999),
            ],
            extra_packs: &[
                pack(120, 199),
                pack(180, 299),
                pack(985, 1499),
                pack(2460, 3499),
                pack(16200, 19999),
            ],
        },
    },
    Brand {
        name: "Free Fire",
        code: "FREEFIRE",
        category: Category::GameTopup,
        redeem_url: "https://reward.ff.garena.com",
        instructions: "Open the Free Fire rewards site, sign in with your game account, enter the code.",
        lineup: Lineup::GameTopup {
            unit: "Diamonds",
            regions: &["GLOBAL", "IN", "BR", "ID", "PH"],
            packs: &[
                pack(100, 99),
                pack(310, 299),
                pack(520, 499),
                pack(1060, 999),
                pack(2180, 1999),
                pack(5600, 4999),
            ],
            extra_packs: &[
                pack(210, 199),
                pack(800, 799),
                pack(1580, 1499),
                pack(11200, 9999),
            ],
        },
    },
    Brand {
        name: "Valorant",
        code: "VALORANT",
        category: Category::GameTopup,
        redeem_url: "https://playvalorant.com/prepaid-cards",
        instructions: "In the Riot Client open the Store, choose Buy VP > Prepaid Cards & Codes, enter the code.",
        lineup: Lineup::GameTopup {
            unit: "VP",
            regions: &["US", "GB", "DE", "FR", "TR", "BR", "JP"],
            packs: &[
                pack(475, 499),
                pack(1000, 999),
                pack(2050, 1999),
                pack(3650, 3499),
                pack(5350, 4999),
                pack(11000, 9999),
            ],
            extra_packs: &[pack(1475, 1499), pack(4100, 3999)],
        },
    },
    Brand {
        name: "Fortnite",
        code: "FORTNITE",
        category: Category::GameTopup,
        redeem_url: "https://www.fortnite.com/vbuckscard",
        instructions: "Sign in at fortnite.com/vbuckscard with your Epic Games account, enter the code.",
        lineup: Lineup::GameTopup {
            unit: "V-Bucks",
            regions: &["GLOBAL", "US", "GB", "DE", "FR", "BR", "TR"],
            packs: &[
                pack(1000, 899),
                pack(2800, 2299),
                pack(5000, 3699),
                pack(13500, 8999),
            ],
            extra_packs: &[pack(2000, 1799), pack(3800, 3199), pack(27000, 17999)],
        },
    },
    Brand {
        name: "Roblox",
        code: "ROBLOX",
        category: Category::GameTopup,
        redeem_url: "https://www.roblox.com/redeem",
        instructions: "Sign in at roblox.com/redeem, enter the PIN, select Redeem.",
        lineup: Lineup::GameTopup {
            unit: "Robux",
            regions: &["GLOBAL", "US", "GB", "DE", "FR", "BR"],
            packs: &[
                pack(400, 499),
                pack(800, 999),
                pack(1700, 1999),
                pack(4500, 4999),
                pack(10000, 9999),
            ],
            extra_packs: &[pack(2000, 2499), pack(2200, 2499), pack(22500, 19999)],
        },
    },
    Brand {
        name: "Genshin Impact",
        code: "GENSHIN",
        category: Category::GameTopup,
        redeem_url: "https://genshin.hoyoverse.com/en/gift",
        instructions: "Sign in at genshin.hoyoverse.com/en/gift, choose your server and character, enter the code.",
        lineup: Lineup::GameTopup {
            unit: "Genesis Crystals",
            regions: &["GLOBAL"],
            packs: &[
                pack(60, 99),
                pack(330, 499),
                pack(1090, 1499),
                pack(2240, 2999),
                pack(3880, 4999),
                pack(8080, 9999),
            ],
            extra_packs: &[pack(6480, 7999), pack(16160, 19999)],
        },
    },
    Brand {
        name: "Mobile Legends",
        code: "MLBB",
        category: Category::GameTopup,
        redeem_url: "https://m.mobilelegends.com/redeem",
        instructions: "Open the Mobile Legends redemption page, enter your Game ID and Zone ID, then the code.",
        lineup: Lineup::GameTopup {
            unit: "Diamonds",
            regions: &["GLOBAL", "ID", "PH", "BR", "TR"],
            packs: &[
                pack(86, 149),
                pack(172, 299),
                pack(257, 449),
                pack(706, 1199),
                pack(2195, 3599),
                pack(3688, 5999),
            ],
            extra_packs: &[
                pack(344, 599),
                pack(429, 749),
                pack(878, 1499),
                pack(5532, 8999),
                pack(9288, 14999),
            ],
        },
    },
    // Mobile top-ups.
    Brand {
        name: "Jio",
        code: "JIO",
        category: Category::MobileTopup,
        redeem_url: "https://www.jio.com/selfcare/recharge/mobility",
        instructions: "Open MyJio > Recharge > Redeem voucher, or dial *333# from the Jio number, enter the code.",
        lineup: Lineup::MobileTopup {
            stem: "Jio Prepaid Recharge",
            plans: &[(
                "IN",
                &[149, 199, 239, 299, 349, 399, 479, 666, 719, 999, 2999],
            )],
        },
    },
    Brand {
        name: "Airtel",
        code: "AIRTEL",
        category: Category::MobileTopup,
        redeem_url: "https://www.airtel.in/recharge-online",
        instructions: "Open Airtel Thanks > Recharge > Redeem voucher, or dial *120*CODE# from the Airtel number.",
        lineup: Lineup::MobileTopup {
            stem: "Airtel Prepaid Recharge",
            plans: &[("IN", &[155, 179, 265, 299, 359, 479, 549, 719, 839, 2999])],
        },
    },
    Brand {
        name: "Vi",
        code: "VI",
        category: Category::MobileTopup,
        redeem_url: "https://www.myvi.in/prepaid/online-mobile-recharge",
        instructions: "Open the Vi app > Recharge > Voucher, or dial *140*CODE# from the Vi number.",
        lineup: Lineup::MobileTopup {
            stem: "Vi Prepaid Recharge",
            plans: &[("IN", &[155, 179, 269, 299, 359, 479, 719, 3099])],
        },
    },
    Brand {
        name: "T-Mobile",
        code: "TMOBILE",
        category: Category::MobileTopup,
        redeem_url: "https://www.t-mobile.com/prepaid/refill",
        instructions: "Refill at t-mobile.com/prepaid/refill or dial 611 from the T-Mobile phone, enter the PIN.",
        lineup: Lineup::MobileTopup {
            stem: "T-Mobile Prepaid Refill",
            plans: &[("US", &[10, 15, 25, 30, 40, 50, 100])],
        },
    },
    Brand {
        name: "Vodafone",
        code: "VODAFONE",
        category: Category::MobileTopup,
        redeem_url: "https://www.vodafone.com/topup",
        instructions: "Dial 2345 from the Vodafone phone or top up in the My Vodafone app with the voucher code.",
        lineup: Lineup::MobileTopup {
            stem: "Vodafone Top-Up",
            plans: &[
                ("GB", &[10, 15, 20, 25, 30]),
                ("DE", &[15, 25, 50]),
                ("TR", &[100, 200, 300, 500]),
            ],
        },
    },
    Brand {
        name: "Lycamobile",
        code: "LYCA",
        category: Category::MobileTopup,
        redeem_url: "https://www.lycamobile.com/en/quick-top-up",
        instructions: "Dial *131*CODE# from the Lycamobile phone, or use Quick Top-Up online.",
        lineup: Lineup::MobileTopup {
            stem: "Lycamobile Top-Up",
            plans: &[
                ("GB", &[5, 10, 15, 20, 30]),
                ("US", &[10, 19, 23, 29, 39, 49]),
                ("DE", &[10, 15, 20, 30]),
                ("FR", &[5, 10, 15, 20]),
                ("ES", &[5, 10, 15, 20]),
            ],
        },
    },
    Brand {
        name: "Claro",
        code: "CLARO",
        category: Category::MobileTopup,
        redeem_url: "https://www.claro.com.br/recarga",
        instructions: "Dial *1052# from the Claro phone or use Minha Claro > Recarga, enter the PIN.",
        lineup: Lineup::MobileTopup {
            stem: "Claro Recarga",
            plans: &[("BR", &[15, 20, 30, 50, 100])],
        },
    },
    Brand {
        name: "Orange",
        code: "ORANGE",
        category: Category::MobileTopup,
        redeem_url: "https://www.orange.fr/recharge",
        instructions: "Dial #123# from the Orange phone or use the Orange app > Recharger, enter the code.",
        lineup: Lineup::MobileTopup {
            stem: "Orange Recharge",
            plans: &[
                ("FR", &[5, 10, 15, 20, 25, 30, 50]),
                ("ES", &[5, 10, 15, 20, 25, 50]),
                ("PL", &[5, 10, 25, 50]),
            ],
        },
    },
    // Software keys.
    Brand {
        name: "Windows 11 Pro",
        code: "WIN11PRO",
        category: Category::SoftwareKey,
        redeem_url: "https://www.microsoft.com/software-download/windows11",
        instructions: "Open Settings > System > Activation > Change product key, enter the key.",
        lineup: Lineup::SoftwareKey {
            regions: SOFTWARE_REGIONS,
            editions: &[
                edition("RETAIL", "Retail Key", 19999, 0),
                edition("OEM", "OEM Key", 14999, 0),
            ],
            devices: &[],
            years: &[],
        },
    },
    Brand {
        name: "Microsoft Office 2021",
        code: "OFFICE2021",
        category: Category::SoftwareKey,
        redeem_url: "https://setup.office.com",
        instructions: "Go to setup.office.com, sign in with a Microsoft account, enter the product key.",
        lineup: Lineup::SoftwareKey {
            regions: SOFTWARE_REGIONS,
            editions: &[
                edition("HS", "Home & Student", 14999, 0),
                edition("HB", "Home & Business", 24999, 0),
                edition("PRO", "Professional", 43999, 0),
                edition("PROPLUS", "Professional Plus", 49999, 0),
            ],
            devices: &[],
            years: &[],
        },
    },
    Brand {
        name: "Kaspersky",
        code: "KASPERSKY",
        category: Category::SoftwareKey,
        redeem_url: "https://my.kaspersky.com",
        instructions: "Sign in at my.kaspersky.com, choose Add activation code, enter the code.",
        lineup: Lineup::SoftwareKey {
            regions: SOFTWARE_REGIONS,
            editions: &[
                edition("STD", "Standard", 2999, 1),
                edition("PLUS", "Plus", 4499, 3),
                edition("PREM", "Premium", 5999, 5),
            ],
            devices: &[1, 3, 5, 10],
            years: &[1, 2],
        },
    },
    Brand {
        name: "Norton 360",
        code: "NORTON360",
        category: Category::SoftwareKey,
        redeem_url: "https://my.norton.com",
        instructions: "Sign in at my.norton.com, choose Enter a New Product Key, enter the key.",
        lineup: Lineup::SoftwareKey {
            regions: SOFTWARE_REGIONS,
            editions: &[
                edition("STD", "Standard", 3999, 1),
                edition("DLX", "Deluxe", 4999, 5),
                edition("PREM", "Premium", 5999, 10),
            ],
            devices: &[1, 3, 5, 10],
            years: &[1, 2],
        },
    },
    Brand {
        name: "NordVPN",
        code: "NORDVPN",
        category: Category::SoftwareKey,
        redeem_url: "https://my.nordaccount.com",
        instructions: "Sign in at my.nordaccount.com, choose Redeem a code, enter the code.",
        lineup: Lineup::SoftwareKey {
            regions: SOFTWARE_REGIONS,
            editions: &[
                edition("STD", "Standard", 5988, 0),
                edition("PLUS", "Plus", 7188, 0),
                edition("COMPLETE", "Complete", 8988, 0),
            ],
            devices: &[],
            years: &[1, 2],
        },
    },
];
