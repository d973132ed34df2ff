"""Word lists and fixed data for the demo workspace: people, names, places, pipelines."""

# fmt: off
FIRST_NAMES = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty",
    "Mark", "Sandra", "Steven", "Ashley", "Paul", "Emily", "Andrew", "Kimberly", "Joshua",
    "Donna", "Kevin", "Michelle", "Brian", "Carol", "George", "Amanda", "Timothy", "Melissa",
    "Ryan", "Deborah", "Jacob", "Stephanie", "Gary", "Rebecca", "Nicholas", "Laura", "Eric",
    "Sharon", "Jonathan", "Cynthia", "Lena", "Jonas", "Lukas", "Anna", "Felix", "Marie", "Paul",
    "Sophie", "Leon", "Emma", "Elias", "Mia", "Noah", "Hannah", "Ben", "Lea", "Finn", "Clara",
    "Aiko", "Haruto", "Yuki", "Sakura", "Wei", "Li", "Jun", "Mei", "Arjun", "Priya", "Rohan",
    "Ananya", "Vikram", "Neha", "Omar", "Layla", "Karim", "Amira", "Mateo", "Valentina",
    "Santiago", "Camila", "Diego", "Lucia", "Javier", "Sofia", "Pierre", "Camille", "Louis",
    "Chloe", "Hugo", "Manon", "Luca", "Giulia", "Marco", "Chiara", "Lars", "Ingrid", "Erik",
    "Astrid", "Oskar", "Freya", "Tomasz", "Zofia", "Jakub", "Olga", "Ivan", "Ana",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Muller", "Schmidt", "Schneider",
    "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Tanaka", "Suzuki",
    "Sato", "Watanabe", "Chen", "Wang", "Zhang", "Liu", "Patel", "Sharma", "Gupta", "Singh",
    "Khan", "Haddad", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Dubois", "Moreau",
    "Laurent", "Lefebvre", "Jansen", "Visser", "Larsen", "Nielsen", "Johansson", "Lindberg",
    "Kowalski", "Nowak", "Novak", "Horvat", "Silva", "Santos", "Oliveira", "Costa", "OBrien",
    "Murphy", "Kelly",
]
COMPANY_ADJECTIVES = [
    "Blue", "Bright", "North", "Silver", "Golden", "Summit", "Clear", "Swift", "Red", "Iron",
    "Green", "Rapid", "Prime", "True", "Bold", "Quiet", "Open", "Solid", "Urban", "Alpine",
    "Coastal", "Crystal", "Evergreen", "Harbor", "Lumen", "Maple", "Nimbus", "Oak", "Pioneer",
    "Polar", "Quantum", "Radiant", "Sierra", "Sterling", "Stone", "Sun", "Terra", "Vertex",
    "West", "East", "Cedar", "Copper", "Falcon", "Granite", "Horizon", "Keystone", "Lakeside",
    "Meridian", "Northstar", "Orbit", "Pacific", "Pinnacle", "Redwood", "Riverside", "Skyline",
    "Vector",
]
COMPANY_NOUNS = [
    "Harbor", "Ridge", "Field", "Point", "Bridge", "Path", "Wave", "Works", "Labs", "Forge",
    "Gate", "Peak", "Grove", "Stream", "Valley", "Signal", "Anchor", "Beacon", "Circuit",
    "Craft", "Current", "Flow", "Frame", "Garden", "Layer", "Line", "Loop", "Mill", "Nest",
    "Pulse", "Rock", "Root", "Scale", "Shore", "Spark", "Sphere", "Tide", "Trail", "Vale",
    "Yard",
]
INDUSTRY_WORDS = {
    "Software": ["Software", "Analytics", "Cloud", "Systems", "Digital"],
    "Financial Services": ["Capital", "Finance", "Payments", "Partners", "Insurance"],
    "Healthcare": ["Health", "Medical", "Care", "Clinics", "Diagnostics"],
    "Manufacturing": ["Manufacturing", "Industries", "Components", "Machining", "Materials"],
    "Retail": ["Retail", "Outfitters", "Market", "Goods", "Stores"],
    "Education": ["Learning", "Academy", "Education", "Institute", "Tutoring"],
    "Logistics": ["Logistics", "Freight", "Transport", "Shipping", "Supply"],
    "Media": ["Media", "Studios", "Publishing", "Broadcasting", "Creative"],
    "Energy": ["Energy", "Power", "Solar", "Utilities", "Renewables"],
    "Professional Services": ["Consulting", "Advisory", "Group", "Associates", "Solutions"],
}
INDUSTRIES = [
    "Software", "Financial Services", "Healthcare", "Manufacturing", "Retail", "Education",
    "Logistics", "Media", "Energy", "Professional Services",
]
LEGAL_SUFFIXES = [
    "", "", "", "", " Inc.", " LLC", " Ltd.", " GmbH", " AG", " B.V.", " S.A.",
]
CITIES = [
    ("New York", "United States"), ("San Francisco", "United States"),
    ("Chicago", "United States"), ("Austin", "United States"), ("Boston", "United States"),
    ("Seattle", "United States"), ("Denver", "United States"), ("Atlanta", "United States"),
    ("Toronto", "Canada"), ("Vancouver", "Canada"), ("London", "United Kingdom"),
    ("Manchester", "United Kingdom"), ("Dublin", "Ireland"), ("Berlin", "Germany"),
    ("Munich", "Germany"), ("Hamburg", "Germany"), ("Paris", "France"), ("Lyon", "France"),
    ("Amsterdam", "Netherlands"), ("Stockholm", "Sweden"), ("Copenhagen", "Denmark"),
    ("Zurich", "Switzerland"), ("Madrid", "Spain"), ("Milan", "Italy"), ("Warsaw", "Poland"),
    ("Sydney", "Australia"), ("Singapore", "Singapore"), ("Tokyo", "Japan"),
    ("Bangalore", "India"), ("Sao Paulo", "Brazil"), ("Mexico City", "Mexico"),
]
JOB_TITLES = [
    "VP Operations", "Head of Customer Experience", "IT Director", "Operations Manager",
    "Product Manager", "CFO", "COO", "Chief Technology Officer", "Procurement Lead",
    "Marketing Director", "Data Analyst", "Project Manager", "Office Manager", "Head of Sales",
    "Engineering Manager", "Business Analyst", "Account Administrator",
]
TASK_TITLES = [
    "Prepare QBR deck for {c}", "Follow up on renewal with {c}",
    "Check product adoption at {c}", "Send onboarding recap to {c}", "Call champion at {c}",
    "Review open tickets for {c}", "Share roadmap update with {c}",
    "Confirm executive sponsor at {c}", "Plan expansion proposal for {c}",
    "Send NPS follow-up to {c}", "Schedule training for {c}", "Update success plan for {c}",
]
MEETING_TITLES = [
    "Quarterly business review", "Onboarding check-in", "Renewal discussion",
    "Executive business review", "Product roadmap session", "Adoption workshop",
    "Success plan review", "Support escalation review",
]
SEQUENCES = [
    "Onboarding welcome", "Renewal 90-day countdown", "QBR invitation", "Adoption nudges",
    "NPS follow-up", "Expansion: extra seats", "Re-engagement", "Webinar invitation",
]
ACTIVITY_SUBJECTS = {
    "email_open": "Opened email: {s}",
    "email_click": "Clicked a link in: {s}",
    "email_reply": "Replied to: {s}",
    "page_view": "Viewed {p}",
    "form_submission": "Submitted form: {f}",
    "sequence_enrolled": "Enrolled in sequence",
    "sequence_unenrolled": "Unenrolled from sequence",
    "meeting_booked": "Booked a meeting",
    "call": "Call with {s}",
    "meeting": "Meeting: {s}",
    "note": "Note: {s}",
}
EMAIL_SUBJECTS = [
    "Your quarterly review", "New features this month", "Renewal options", "Training invite",
    "Getting started guide", "Your success plan", "Product update", "Invoice and usage summary",
]
PAGES = [
    "/pricing", "/docs/getting-started", "/blog/release-notes", "/integrations", "/docs/api",
    "/customers", "/webinars", "/security", "/help/billing", "/academy",
]
FORMS = [
    "Contact support", "Webinar registration", "Feature request", "Training signup",
    "NPS survey",
]

# name, email, team, time zone, super admin, workspace access, manage settings, seat
DEMO_USERS = [
    ("Avery Morgan", "avery.morgan@northwind.example", "CS Operations", "America/New_York", True, True, True, True),
    ("Jordan Blake", "jordan.blake@northwind.example", "CS Operations", "Europe/London", True, False, False, False),
    ("Priya Raman", "priya.raman@northwind.example", "CS Operations", "Europe/Berlin", False, True, True, True),
    ("Lucas Fischer", "lucas.fischer@northwind.example", "Enterprise CS", "Europe/Berlin", False, True, False, True),
    ("Mei Chen", "mei.chen@northwind.example", "Enterprise CS", "Asia/Singapore", False, True, False, True),
    ("Diego Alvarez", "diego.alvarez@northwind.example", "Enterprise CS", "America/Los_Angeles", False, True, False, True),
    ("Hannah Okafor", "hannah.okafor@northwind.example", "Growth CS", "Europe/London", False, True, False, True),
    ("Tom Brennan", "tom.brennan@northwind.example", "Growth CS", "America/Chicago", False, True, False, True),
    ("Sofia Rossi", "sofia.rossi@northwind.example", "Growth CS", "Europe/Rome", False, True, False, True),
    ("Noah Williams", "noah.williams@northwind.example", "Growth CS", "America/New_York", False, True, False, True),
    ("Olivia Grant", "olivia.grant@northwind.example", "Growth CS", "America/Denver", False, True, False, False),
    ("Sam Patel", "sam.patel@northwind.example", "Enterprise CS", "America/New_York", False, False, False, True),
]
# The analyst: reports and dashboards, no settings (name, email, team, time zone).
ANALYST = ("Rina Kapoor", "rina.kapoor@northwind.example", "CS Operations", "Asia/Kolkata")
TEAMS = [
    "Enterprise CS", "Growth CS", "CS Operations",
]
# Users who own customers in the demo: the VP (strategic accounts), the settings
# manager and the CSMs.
CSM_EMAILS = {u[1] for u in DEMO_USERS[:1] + DEMO_USERS[2:10]}
PIPELINES = [
    (
        "deals",
        "Renewals",
        [
            ("Renewal identified", 0.2, False, []),
            ("Proposal sent", 0.5, False, ["amount"]),
            ("Negotiation", 0.7, False, ["amount", "close_date"]),
            ("Closed won", 1.0, True, ["amount", "close_date"]),
            ("Closed lost", 0.0, True, []),
        ],
    ),
    (
        "deals",
        "Expansion",
        [
            ("Discovery", 0.1, False, []),
            ("Proposal", 0.4, False, ["amount"]),
            ("Contract sent", 0.8, False, ["amount", "close_date"]),
            ("Closed won", 1.0, True, ["amount", "close_date"]),
            ("Closed lost", 0.0, True, []),
        ],
    ),
    (
        "services",
        "Onboarding",
        [
            ("Kick-off scheduled", None, False, []),
            ("Technical setup", None, False, ["start_date"]),
            ("Training", None, False, ["start_date"]),
            ("Go-live", None, False, ["target_date"]),
            ("Completed", None, True, []),
        ],
    ),
    (
        "services",
        "Professional services",
        [
            ("Scoping", None, False, []),
            ("In progress", None, False, ["start_date"]),
            ("Review", None, False, []),
            ("Delivered", None, True, []),
        ],
    ),
    (
        "subscriptions",
        "Subscription lifecycle",
        [
            ("Active", None, False, []),
            ("Renewal due", None, False, ["renewal_date"]),
            ("Renewed", None, True, []),
            ("Churned", None, True, []),
        ],
    ),
]
# fmt: on
