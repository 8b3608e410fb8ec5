"""Seed the data inventory from the privacy notice, section I ("Information Collection, Purpose,
And Sharing"), and the notice's "Web Beacon" and "Cookies" paragraphs.

Statements are the notice's own words. Where the notice says nothing (a sale line for telephone
numbers, any sale or disclosure of the further details, any retention period but the card one),
the statement says only what the notice supports and no Sharing row is invented.

The slugs are stable: other code (the know report, the opt-out, the registry) looks rows up by
them. The privacy officer edits names and statements in the admin, not the slugs.

Seeding uses update_or_create by slug, so running it over rows that already exist does no harm.
The reverse removes the seeded rows (and any sharing that refers to them).
"""

from django.db import migrations

# --- Categories of sources ----------------------------------------------------------------

SOURCES = [
    (
        "directly-from-you",
        "Directly from you",
        "You give it to us when you register online or update your account, log in, place an "
        "order, communicate online with our customer service representatives, opt in to receive "
        "our emails, request a catalog, participate in a sweepstake, contest, promotion or survey, "
        "or join our social networking sites.",
    ),
    (
        "your-device",
        "Your browser or device",
        "Collected automatically when you visit our websites or open our emails: your IP address, "
        "Web Cookies and Web Beacons.",
    ),
    (
        "social-media",
        "Our social media pages and accounts",
        "When you interact with us on social media or upload photographs to our social media "
        "accounts.",
    ),
    (
        "marketing-partners",
        "Our third-party marketing partners",
        "We share and receive personal information with and from our third-party marketing "
        "partners for commercial purposes.",
    ),
    (
        "influencer-partnerships",
        "Influencer partnerships",
        "When you work with us as an influencer, including through paid partnerships.",
    ),
]

# --- Business or commercial purposes --------------------------------------------------------

PURPOSES = [
    (
        "account-management",
        "Managing your account and membership",
        "To manage your online account and membership.",
    ),
    (
        "process-orders",
        "Processing your orders",
        "To place and process your orders, email your order confirmations and send you texts "
        "about your orders.",
    ),
    (
        "deliver-orders",
        "Delivering your orders",
        "To ship your goods to you and let you know about delivery delays or issues.",
    ),
    (
        "refunds",
        "Refunds",
        "To process refunds in accordance with our Refund Policy.",
    ),
    (
        "fraud-prevention",
        "Fraud prevention and detection",
        "To prevent and detect fraud, with our fraud prevention and 3D-secure partner.",
    ),
    (
        "customer-service",
        "Customer service",
        "To respond to your queries, comments, questions, feedback and occasional complaints, "
        "and to keep a record of them to inform future communications with us.",
    ),
    (
        "marketing",
        "Marketing",
        "To send you catalogs, special offers and promotions, keep you up to date on new "
        "products, and make our marketing more relevant.",
    ),
    (
        "advertising",
        "Advertising",
        "To see how our advertising performs and, through third-party vendors such as Google, to "
        "inform, optimize and serve ads based on your past activity on the Website.",
    ),
    (
        "site-analytics",
        "Website analytics and improvement",
        "To analyze site usage and visitor numbers, count page and email views, learn how you use "
        "our website and improve it.",
    ),
    (
        "website-operation",
        "Running the website",
        "To keep track of services you have used, record your user preferences, keep you logged "
        "in and facilitate purchase procedures.",
    ),
    (
        "legal-communications",
        "Required communications",
        "To send you communications that are required by law or necessary to inform you about "
        "any changes to the services we provide you.",
    ),
    (
        "research",
        "Customer research",
        "To administer our research activities (for example, customer research surveys) and "
        "improve the products and services we provide to our customers.",
    ),
    (
        "loyalty-rewards",
        "Dream Pairs Rewards",
        "To manage your Dream Pairs Rewards membership, including a one-time password when you "
        "join, and to ensure you get your rewards.",
    ),
    (
        "referral-scheme",
        "Refer-a-friend scheme",
        "To administer a referral and make sure that you receive your reward.",
    ),
    (
        "influencer-engagement",
        "Working with influencers",
        "To engage with influencers, administer events and send presents.",
    ),
    (
        "publish-content",
        "Publishing your photographs",
        "To publish photographs you upload, along with your name or social media username, on our "
        "websites and social media pages.",
    ),
]

# --- Categories of third parties ------------------------------------------------------------

THIRD_PARTIES = [
    (
        "marketing-partners",
        "Marketing partners",
        "Our third-party marketing partners. They may pass your information on to other companies "
        "whose products they think may interest you.",
    ),
    (
        "credit-reference-agencies",
        "Credit reference agencies",
        "Agents acting for us.",
    ),
    (
        "card-clearing-agencies",
        "Credit card clearing agencies",
        "Agents acting for us.",
    ),
    (
        "fraud-prevention-partner",
        "Our fraud prevention and 3D-secure partner",
        "Agent acting for us in fraud prevention and 3D-secure checks.",
    ),
    (
        "delivery-companies",
        "Delivery companies",
        "Agents acting for us.",
    ),
    (
        "research-companies",
        "Outside research companies",
        "Companies whom we may ask to contact you directly for your opinions on our products and "
        "services.",
    ),
    (
        "analytics-advertising",
        "Analytics and advertising companies",
        "Companies that help us analyze site usage, visitor numbers and advertising, such as "
        "Google.",
    ),
    (
        "platform-hosts",
        "Hosts of our third-party platform activities",
        "Third parties that administer and host our WeChat, Amazon and other third-party "
        "activities.",
    ),
]

# --- Statements shared by several categories ------------------------------------------------

NOT_SOLD = "We do not sell this data to third parties."

# The notice gives no retention period except for payment cards. This states the criterion
# (Civ. Code 1798.100(a)(3) allows one instead of a period) without inventing a figure.
RETENTION_NO_FIXED_PERIOD = (
    "Our privacy notice sets no fixed period for this information. We keep it as long as we need "
    "it for the purposes described here, and you can ask us to delete it (some exceptions apply)."
)

CONTACT_TO_STOP_ONWARD = (
    "These partners may pass your information on to other companies whose products they think "
    "may interest you. If you do not wish to receive communications from other companies, please "
    "contact us via any of the methods in the ‘Contact Us’ section, quoting your account number "
    "(if you have it), which can be found above your address on your latest catalog."
)
ONWARD = (
    "These partners may pass your information on to other companies whose products they think "
    "may interest you."
)

AGENT = (
    "As our agent. In all instances, we provide them with only the information they need to "
    "perform their function."
)
RESEARCH = (
    "We may ask them to contact you directly for your opinions on our products and services. We "
    "provide them with only the information they need to perform their function."
)
SUPPRESSION = (
    "If you have asked us not to send you postal marketing: to ensure that you’re added to a "
    "suppression list and no longer receive postal marketing from us."
)
FRAUD = "For fraud prevention."

SALE = "sale"
DISCLOSURE = "disclosure"

# --- Categories of personal information -----------------------------------------------------
# Each: slug, name, kind, description, purpose_statement, sale_statement, disclosure_statement,
# retention_statement, retention_days, sources, purposes, sharings (third party, kind, reason).

CATEGORIES = [
    {
        "slug": "name",
        "name": "Name",
        "purpose_statement": (
            "We use this so we know what to call you, to process orders to you and for fraud "
            "prevention and detection. We also use this to keep you in the loop so that, from time "
            "to time, we can send you catalogs, special offers and promotions.\n\n"
            "If you participate in our research activities (for example, customer research "
            "surveys), we’ll use your name to administer the groups.\n\n"
            "If you work with us as an influencer, we may collect your name. We use your name to "
            "engage with you and to administer events.\n\n"
            "We use your name to respond to your queries and occasional complaints. We may also "
            "keep a record of these to inform any future communications with us, to show how we "
            "communicated with you throughout, and to ensure that we provide you with the best "
            "possible service."
        ),
        "sale_statement": (
            "We do sell names to marketing partners for commercial purposes, unless you have told "
            "us not to. " + CONTACT_TO_STOP_ONWARD
        ),
        "disclosure_statement": (
            "We may disclose this information to agents (including credit reference agencies, "
            "credit card clearing agencies, our fraud prevention and 3D-secure partner, and "
            "delivery companies). In all instances, we provide them with only the information they "
            "need to perform their function. We may also disclose this information to outside "
            "research companies whom we may ask to contact you directly for your opinions on our "
            "products and services (in which case, we provide them with only the information they "
            "need to perform their function). If you have asked us not to send you postal "
            "marketing, we may disclose your information to marketing partners to ensure that "
            "you’re added to a suppression list and no longer receive postal marketing from us."
        ),
        "sources": ["directly-from-you", "marketing-partners", "influencer-partnerships"],
        "purposes": [
            "process-orders",
            "fraud-prevention",
            "marketing",
            "customer-service",
            "research",
            "influencer-engagement",
            # The Photographs paragraph: photos "may be published ... along with your name".
            "publish-content",
        ],
        "sharings": [
            (
                "marketing-partners",
                SALE,
                "We do sell names to marketing partners for commercial purposes, unless you have "
                "told us not to. " + ONWARD,
            ),
            ("marketing-partners", DISCLOSURE, SUPPRESSION),
            ("credit-reference-agencies", DISCLOSURE, AGENT),
            ("card-clearing-agencies", DISCLOSURE, AGENT),
            ("fraud-prevention-partner", DISCLOSURE, AGENT),
            ("delivery-companies", DISCLOSURE, AGENT),
            ("research-companies", DISCLOSURE, RESEARCH),
        ],
    },
    {
        "slug": "email-address",
        "name": "Email address",
        # The notice's Google Analytics / DoubleClick paragraph, printed under "Email address",
        # is about cookies, not email addresses: it is seeded under "cookies" below.
        # The notice's opt-out address is garbled in our copy ("[email protected]"), so the
        # sentence points to Contact Us instead of repeating it.
        "purpose_statement": (
            "We use this so that we can email your order confirmations, let you know about "
            "delivery delays, send you offers and keep you up-to-date on our shiny new products. "
            "If you do not want to receive our marketing emails, you can opt-out by contacting us "
            "directly by email (see ‘Contact Us’). Please allow five business days for your "
            "request to be updated across all our systems.\n\n"
            "We may need to use your email address to send you communications that are required "
            "by law or necessary to inform you about any changes to the services we provide "
            "you.\n\n"
            "If you participate in our research activities (for example, customer research "
            "surveys), we’ll use your email address to administer the group.\n\n"
            "We use your email address to respond to your queries and occasional complaints. We "
            "may also keep a record of these to inform any future communications with us, to show "
            "how we communicated with you throughout, and to ensure that we provide you with the "
            "best possible service.\n\n"
            "If you sign up to our refer-a-friend scheme, we’ll use your email address for "
            "administration of the referral and to make sure that you receive your reward.\n\n"
            "If you join Dream Pairs Rewards, we’ll use your email to manage your membership and "
            "ensure you get your rewards.\n\n"
            "If you work with us as an influencer, we may collect your email address. We use your "
            "email address to engage with you and to administer events."
        ),
        "sale_statement": (
            "We do pass on emails to marketing partners for commercial purposes, unless you have "
            "told us not to. " + CONTACT_TO_STOP_ONWARD
        ),
        "disclosure_statement": (
            "We may disclose your email address to outside research companies whom we ask to "
            "contact you directly for your opinions on our products and services (in which case "
            "we provide them with only the information they need to perform their function).\n\n"
            "We may disclose your email address to our fraud prevention and 3D-secure partner."
        ),
        "sources": ["directly-from-you", "marketing-partners", "influencer-partnerships"],
        "purposes": [
            "process-orders",
            "deliver-orders",
            "marketing",
            "legal-communications",
            "research",
            "customer-service",
            "referral-scheme",
            "loyalty-rewards",
            "influencer-engagement",
            "fraud-prevention",
        ],
        "sharings": [
            (
                "marketing-partners",
                SALE,
                "We do pass on emails to marketing partners for commercial purposes, unless you "
                "have told us not to. " + ONWARD,
            ),
            ("research-companies", DISCLOSURE, RESEARCH),
            ("fraud-prevention-partner", DISCLOSURE, FRAUD),
        ],
    },
    {
        "slug": "shipping-address",
        "name": "Shipping address",
        "purpose_statement": (
            "An obvious one – so we can ship your goods to you. In addition, we use this to "
            "process orders to you, and for fraud prevention and detection. We also use this to "
            "keep you in the loop so that, from time to time, we can send you catalogs, special "
            "offers and promotions.\n\n"
            "If you work with us as an influencer, we may collect your address. We may use your "
            "address to send presents to you."
        ),
        "sale_statement": (
            "We do pass on addresses to marketing partners for commercial purposes, unless you "
            "have told us not to. " + CONTACT_TO_STOP_ONWARD
        ),
        "disclosure_statement": (
            "If you have asked us not to send you postal marketing, we may disclose your "
            "information to marketing partners to ensure that you’re added to a suppression list "
            "and no longer receive postal marketing from us.\n\n"
            "We may disclose your address to outside research companies whom we ask to contact "
            "you directly for your opinions on our products and services (in which case, we "
            "provide them with only the information they need to perform their function).\n\n"
            "We may disclose your shipping address to our fraud prevention and 3D-secure partner."
        ),
        "sources": ["directly-from-you", "marketing-partners", "influencer-partnerships"],
        "purposes": [
            "deliver-orders",
            "process-orders",
            "fraud-prevention",
            "marketing",
            "research",
            "influencer-engagement",
        ],
        "sharings": [
            (
                "marketing-partners",
                SALE,
                "We do pass on addresses to marketing partners for commercial purposes, unless "
                "you have told us not to. " + ONWARD,
            ),
            ("marketing-partners", DISCLOSURE, SUPPRESSION),
            ("research-companies", DISCLOSURE, RESEARCH),
            ("fraud-prevention-partner", DISCLOSURE, FRAUD),
        ],
    },
    {
        "slug": "telephone-number",
        "name": "Telephone number / cell number",
        "purpose_statement": (
            "We might use your phone number to send you a one-time password when you join Dream "
            "Pairs Rewards. If there's a delivery issue, we'll give you a call. We may also send "
            "you texts about your orders or if we need to ask you something. Your number helps us "
            "respond to your questions and address any concerns you might have."
        ),
        # The notice has no "Sale:" line for telephone numbers; it names no sale of them.
        "sale_statement": (
            "Our privacy notice does not list telephone numbers among the information we sell."
        ),
        "disclosure_statement": (
            "With agents (including credit reference agencies, credit card clearing agencies, and "
            "our fraud prevention and 3D-secure partner). In all instances, we provide them with "
            "only the information they need to perform their function."
        ),
        "sources": ["directly-from-you"],
        "purposes": [
            "loyalty-rewards",
            "deliver-orders",
            "process-orders",
            "customer-service",
            "fraud-prevention",
        ],
        "sharings": [
            ("credit-reference-agencies", DISCLOSURE, AGENT),
            ("card-clearing-agencies", DISCLOSURE, AGENT),
            ("fraud-prevention-partner", DISCLOSURE, AGENT),
        ],
    },
    {
        "slug": "credit-card-details",
        "name": "Credit card details",
        "purpose_statement": (
            "We only ask for these when you place an order. You may choose to save your card "
            "details to speed up the checkout process. If you wish to remove your card details at "
            "a later date, you can do so by deleting your saved card from account preferences on "
            "the website."
        ),
        "sale_statement": NOT_SOLD,
        "disclosure_statement": (
            "With agents (including credit reference agencies and credit card clearing agencies). "
            "In all instances, we provide them with only the information they need to perform "
            "their function."
        ),
        "retention_statement": (
            "We will securely store your payment card information for one year, to allow us to "
            "process refunds in accordance with our Refund Policy."
        ),
        "retention_days": 365,
        "sources": ["directly-from-you"],
        "purposes": ["process-orders", "refunds"],
        "sharings": [
            ("credit-reference-agencies", DISCLOSURE, AGENT),
            ("card-clearing-agencies", DISCLOSURE, AGENT),
        ],
    },
    {
        "slug": "ip-address",
        "name": "Internet Protocol (IP) address",
        "purpose_statement": (
            "We collect your IP address to learn more about how you use our website. IP address "
            "data allows us to analyze site usage and visitor numbers and see how our advertising "
            "performs (so we can understand what you like). We also use this information to "
            "improve our website, which makes our marketing more relevant to give you the best "
            "experience we can."
        ),
        "sale_statement": NOT_SOLD,
        "disclosure_statement": (
            "We may disclose this information with other companies that help us analyze site "
            "usage, visitor numbers and advertising."
        ),
        "sources": ["your-device"],
        "purposes": ["site-analytics", "advertising", "marketing"],
        "sharings": [
            (
                "analytics-advertising",
                DISCLOSURE,
                "They help us analyze site usage, visitor numbers and advertising.",
            ),
        ],
    },
    {
        "slug": "photographs",
        "name": "Photographs",
        "purpose_statement": (
            "If you upload your photographs to our websites and social media accounts (please "
            "keep them coming), these may be published on our website along with your name or "
            "social media username.\n\n"
            "If you take part in our research activities (for example, consumer surveys), we’ll "
            "use your photographs to improve the products and services that we provide to our "
            "customers.\n\n"
            "If you work with us as an influencer, we may collect images of you (and, if you work "
            "with us through paid partnerships and your children are included in your images, "
            "we’ll collect their images too), and clothing size. We may post your images on our "
            "own social media pages and our websites (contractual performance)."
        ),
        "sale_statement": NOT_SOLD,
        "disclosure_statement": (
            "Some of our WeChat, Amazon, and other third-party activities are administered and "
            "hosted by third parties. We may disclose your personal information to these third "
            "parties for these purposes only."
        ),
        "sources": ["directly-from-you", "social-media", "influencer-partnerships"],
        "purposes": ["publish-content", "research", "influencer-engagement"],
        "sharings": [
            (
                "platform-hosts",
                DISCLOSURE,
                "They administer and host some of our WeChat, Amazon, and other third-party "
                "activities. We may disclose your personal information to them for these purposes "
                "only.",
            ),
        ],
    },
    {
        "slug": "social-media-username",
        "name": "Social media username",
        "purpose_statement": (
            "If you interact with us on social media, we use your social media username or "
            "identifier to help us respond to your comments, questions, or feedback."
        ),
        "sale_statement": NOT_SOLD,
        "disclosure_statement": "We do not disclose this data to third parties.",
        "sources": ["social-media"],
        # The Photographs paragraph: photos may be published "along with your ... social media
        # username".
        "purposes": ["customer-service", "publish-content"],
        "sharings": [],
    },
    # --- Further details the notice names outside the eight headed sections -----------------
    {
        "slug": "demographic-information",
        "name": "Demographic information",
        "kind": "detail",
        "description": "Optional: you may give it when you create an online account.",
        # Section I's introduction is the only place the notice speaks of these details; its
        # general sentence on use is the purpose statement.
        "purpose_statement": (
            "If you create an online account, you also have the option of providing your "
            "demographic information.\n\n"
            "We might use or disclose your personal details to manage your account and "
            "membership, place and deliver your order, respond to your queries, for fraud "
            "prevention, or for marketing or perform other services provided by DP."
        ),
        "sale_statement": (
            "Our privacy notice does not list demographic information among the information we "
            "sell."
        ),
        "disclosure_statement": (
            "Our privacy notice names no third parties to whom demographic information is "
            "disclosed."
        ),
        "sources": ["directly-from-you"],
        "purposes": [
            "account-management",
            "process-orders",
            "deliver-orders",
            "customer-service",
            "fraud-prevention",
            "marketing",
        ],
        "sharings": [],
    },
    {
        "slug": "clothing-size",
        "name": "Clothing size",
        "kind": "detail",
        "description": "Only if you work with us as an influencer.",
        "purpose_statement": (
            "If you work with us as an influencer, we may collect images of you and clothing size."
        ),
        "sale_statement": (
            "Our privacy notice does not list clothing size among the information we sell."
        ),
        "disclosure_statement": (
            "Our privacy notice names no third parties to whom clothing size is disclosed."
        ),
        "sources": ["influencer-partnerships"],
        "purposes": ["influencer-engagement"],
        "sharings": [],
    },
    {
        "slug": "cookies",
        "name": "Web Cookies",
        "kind": "detail",
        "description": (
            "A “Web Cookie” is a string of information that assigns you a unique identification "
            "that a website stores on a user’s computer, and that the user’s browser provides to "
            "the website each time the user submits a query to the website. Users who do not wish "
            "to have Web Cookies placed on their computers should set their browsers to refuse "
            "Web Cookies before accessing the Website, with the understanding that certain "
            "features of the Website may not function properly without the aid of Web Cookies."
        ),
        "purpose_statement": (
            "We use cookies on the Website to keep track of services you have used, to record "
            "registration information regarding your login name and password, to record your "
            "user preferences, to keep you logged into the Website and to facilitate purchase "
            "procedures. Company also uses Web Cookies to track the pages that users visit during "
            "each Website session, both to help Company improve users’ experiences and to help "
            "Company understand how the Website is being used.\n\n"
            "We may use third-party vendors, such as Google, who use first-party cookies (such as "
            "the Google Analytics cookie) and third-party cookies (such as the DoubleClick cookie) "
            "together to inform, optimize and serve ads based on your past activity on the "
            "Website, including Google Analytics for Display Advertising. The information "
            "collected may be used to, among other things, analyze and track data, determine the "
            "popularity of certain content and better understand online activity. If you do not "
            "want any information to be collected and used by Google Analytics, you can install "
            "an opt-out in your web browser and/or opt out from Google Analytics for Display "
            "Advertising or the Google Display Network by using Google’s Ads Settings."
        ),
        "sale_statement": (
            "Our privacy notice does not list information gathered using Web Cookies among the "
            "information we sell."
        ),
        "disclosure_statement": (
            "As with other Non-Personally-Identifying Information gathered from users of the "
            "Website, Company analyzes and discloses in aggregated form information gathered "
            "using Web Cookies, so as to help Company, its partners and others better understand "
            "how the Website is being used.\n\n"
            "Third-party vendors, such as Google, use cookies on the Website to inform, optimize "
            "and serve ads based on your past activity on the Website."
        ),
        "sources": ["your-device"],
        "purposes": ["website-operation", "site-analytics", "advertising"],
        "sharings": [
            (
                "analytics-advertising",
                DISCLOSURE,
                "Third-party vendors, such as Google, use first-party cookies (such as the Google "
                "Analytics cookie) and third-party cookies (such as the DoubleClick cookie) "
                "together to inform, optimize and serve ads based on your past activity on the "
                "Website.",
            ),
        ],
    },
    {
        "slug": "web-beacons",
        "name": "Web Beacons",
        "kind": "detail",
        "description": (
            "A “Web Beacon” is an object that is embedded in a web page or email that is usually "
            "invisible to the user and allows website operators to check whether a user has "
            "viewed a particular web page or an email. You may not decline Web Beacons. However, "
            "they can be rendered ineffective by declining all Web Cookies or modifying your "
            "browser setting to notify you each time a Web Cookie is tendered, permitting you to "
            "accept or decline Web Cookies on an individual basis."
        ),
        "purpose_statement": (
            "We may use Web Beacons on our websites and social media accounts, and in emails to "
            "count users who have visited particular pages, viewed emails and to deliver "
            "co-branded services. Web Beacons are not used to access users’ Personally-Identifying "
            "Information. They are a technique Company may use to compile aggregated statistics "
            "about Website usage. Web Beacons collect only a limited set of information, including "
            "a Web Cookie number, time and date of a page or email view and a description of the "
            "page or email on which the Web Beacon resides."
        ),
        "sale_statement": (
            "Our privacy notice does not list information gathered using Web Beacons among the "
            "information we sell."
        ),
        "disclosure_statement": (
            "Our privacy notice names no third parties to whom information gathered using Web "
            "Beacons is disclosed. They are a technique Company may use to compile aggregated "
            "statistics about Website usage."
        ),
        "sources": ["your-device"],
        "purposes": ["site-analytics"],
        "sharings": [],
    },
]


def _seed_reference(model, rows):
    by_slug = {}
    for order, (slug, name, description) in enumerate(rows, start=1):
        obj, _ = model.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "display_order": order * 10},
        )
        by_slug[slug] = obj
    return by_slug


def seed_inventory(apps, schema_editor):
    Source = apps.get_model("consent", "Source")
    BusinessPurpose = apps.get_model("consent", "BusinessPurpose")
    ThirdPartyCategory = apps.get_model("consent", "ThirdPartyCategory")
    Category = apps.get_model("consent", "Category")
    Sharing = apps.get_model("consent", "Sharing")

    sources = _seed_reference(Source, SOURCES)
    purposes = _seed_reference(BusinessPurpose, PURPOSES)
    third_parties = _seed_reference(ThirdPartyCategory, THIRD_PARTIES)

    for order, row in enumerate(CATEGORIES, start=1):
        category, _ = Category.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name": row["name"],
                "kind": row.get("kind", "category"),
                "description": row.get("description", ""),
                "display_order": order * 10,
                "purpose_statement": row["purpose_statement"],
                "sale_statement": row["sale_statement"],
                "disclosure_statement": row["disclosure_statement"],
                "retention_statement": row.get("retention_statement", RETENTION_NO_FIXED_PERIOD),
                "retention_days": row.get("retention_days"),
            },
        )
        category.sources.set([sources[slug] for slug in row["sources"]])
        category.purposes.set([purposes[slug] for slug in row["purposes"]])
        for third_party, kind, reason in row["sharings"]:
            Sharing.objects.update_or_create(
                category=category,
                third_party=third_parties[third_party],
                kind=kind,
                defaults={
                    "reason": reason,
                    # A sale stops when the consumer opts out (the notice: "unless you have told
                    # us not to"; Civ. Code 1798.120). Disclosures for a business purpose do not.
                    "unless_opted_out": kind == SALE,
                },
            )


def unseed_inventory(apps, schema_editor):
    Source = apps.get_model("consent", "Source")
    BusinessPurpose = apps.get_model("consent", "BusinessPurpose")
    ThirdPartyCategory = apps.get_model("consent", "ThirdPartyCategory")
    Category = apps.get_model("consent", "Category")
    Sharing = apps.get_model("consent", "Sharing")

    category_slugs = [row["slug"] for row in CATEGORIES]
    third_party_slugs = [slug for slug, _, _ in THIRD_PARTIES]
    # Sharing.third_party is PROTECT: remove every sharing that points at a seeded row first.
    Sharing.objects.filter(category__slug__in=category_slugs).delete()
    Sharing.objects.filter(third_party__slug__in=third_party_slugs).delete()
    Category.objects.filter(slug__in=category_slugs).delete()
    ThirdPartyCategory.objects.filter(slug__in=third_party_slugs).delete()
    BusinessPurpose.objects.filter(slug__in=[slug for slug, _, _ in PURPOSES]).delete()
    Source.objects.filter(slug__in=[slug for slug, _, _ in SOURCES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed_inventory, unseed_inventory),
    ]
