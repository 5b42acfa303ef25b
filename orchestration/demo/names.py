"""Built-in name lists for the fictional county of Wyvernshire (no Faker dependency).

Every name is ASCII (apostrophes allowed) so a file written in Windows-1252 encodes without loss, and
fictional: towns and providers are invented, people's names are common English-language names.
"""

from __future__ import annotations

COUNTY = "Wyvernshire"
COUNCIL = "Wyvernshire County Council"
LA_NUMBER = 938
"""Fictional DfE LA number used in the demo's UPNs."""

LOCALITIES = ("Ashcombe Vale", "Brackenbury", "Coldwater", "Dunsford Forest", "Ellerby Wold", "Fernleigh")
LOCALITY_WEIGHTS = (0.22, 0.19, 0.17, 0.15, 0.14, 0.13)
OUT_OF_COUNTY = "Out of county"

TOWNS: dict[str, tuple[str, ...]] = {
    "Ashcombe Vale": ("Ashcombe", "Lower Slade", "Pitchcott", "Wenbury", "Hazelford", "Stoke Orchard Magna",
                      "Upper Rissington", "Kemble Cross", "Marlcombe", "Sheepley", "Tytherton", "Cowleigh"),
    "Brackenbury": ("Brackenbury", "Alderton", "Fairhurst", "Coldicote", "Netherwick", "Quenfield",
                    "Hartsleigh", "Broadmere", "Didbrook", "Sudworth", "Winsley Green", "Ampney Hill"),
    "Coldwater": ("Coldwater", "Saltmarsh", "Frampney", "Holloway End", "Longhope Down", "Rodmarley",
                  "Severnside", "Kingshill", "Yatebury", "Norton Ferris", "Lydcombe", "Oakridge Lynch"),
    "Dunsford Forest": ("Dunsford", "Cinderford Vale", "Brierley", "Mitchelden", "Ruardean Hill", "Yorkley",
                        "Parkend", "Bream's Eaves", "Lydbrook Cross", "Drybrook", "Soudley", "Ellwood"),
    "Ellerby Wold": ("Ellerby", "Moreton Wold", "Chedworth Cross", "Stowell", "Bourton Heath", "Naunton",
                     "Guiting Power", "Longborough", "Aldsworth", "Sherston Parva", "Eastleach", "Hatherop"),
    "Fernleigh": ("Fernleigh", "Quedgeley Park", "Hardwicke Green", "Whaddon", "Brockworth Hill", "Tuffley",
                  "Churchdown Vale", "Innsworth", "Longford", "Barnwood", "Hucclecote", "Matson"),
}

PRIMARY_KINDS = ("Primary School", "C of E Primary School", "Community Primary School", "Primary Academy",
                 "Infant and Junior School", "C of E Academy", "C of E (VA) Primary School")
SECONDARY_KINDS = ("Academy", "School", "High School", "Community College", "Grammar School",
                   "Secondary Academy")
ALL_THROUGH_KINDS = ("All-Through School", "Academy (3-18)")
SPECIAL_NAMES = ("Brook Meadow School", "Oak Hill Academy", "The Willows School", "Heron Lea School",
                 "Kestrel Park School", "Rowan Bank School", "Larchfield Academy", "Milestone School",
                 "Sandford Vale School", "Briarwood School", "The Orchard School", "Cedar House Academy",
                 "Foxmoor School", "Paddock Green School", "Bramley Special Academy", "Lime Tree School")
PRU_NAMES = ("Wyvernshire Pupil Referral Service - {locality}", "The Bridge Learning Centre, {locality}",
             "Stepping Stones PRU ({locality})")
AP_ACADEMY_NAMES = ("Wyvern Alternative Provision Academy", "New Horizons AP Academy")
HOSPITAL_NAME = "Wyvernshire Hospital Education Service"
INDEPENDENT_SPECIAL_NAMES = (
    "Larkspur House School", "Hillcrest Park School", "St Aldhelm's School, Wyvern Care Group",
    "Meadowbank College", "The Mulberry School", "Greystones House", "Pinewood Manor School",
    "Riverside Learning, Ltd", "Birchwood Farm School", "Thornbury Grange", "The Lighthouse School",
    "Cotswold Chine School", "Woodlands Edge School", "Northgate House School",
)
NON_MAINTAINED_NAMES = ("The Royal West Wyvern School for the Deaf", "St Rose's School",
                        "National Star Day Service", "Wyvern School for Blind Children")
INDEPENDENT_AP_NAMES = ("Second Chance Learning Ltd", "Forest Skills Hub", "Open Door Education, CIC")
FE_COLLEGE_NAMES = ("Wyvernshire College", "Severn Vale College", "Dunsford College of Further Education",
                    "Fernleigh Sixth Form College", "Ellerby Land-Based College",
                    "Brackenbury & District College", "Coldwater Sixth Form Centre")
SPECIALIST_POST16_NAMES = ("National Star College", "Ruskin Mill Trust, Wyvern", "Fairfield Farm College",
                           "Foxes Academy", "Pengwern College", "Derwen Vale College")
NURSERY_NAMES = ("Little Acorns Pre-School", "Busy Bees Nursery", "Rainbow Day Nursery", "Tiny Tots Playgroup",
                 "Sunflowers Nursery", "The Ark Pre-School", "Honeypot Childcare", "Jack in the Box Nursery",
                 "Puddle Ducks Nursery", "Apple Tree Pre-School", "Woodland Wonders Nursery",
                 "Caterpillars Playgroup")
EOTAS_PROVIDERS = ("EOTAS bespoke package", "Horizon Tutoring Services", "Equine Learning CIC",
                   "Compass Education (home tuition)", "Forest School Outreach, Ltd")
OTHER_LAS = ("Wessexshire County Council", "Mercia Borough Council", "Avonmouth City Council",
             "Marcher Shire Council", "Thameside Borough Council")
SEN_SUPPORT_SERVICES = ("Advisory Teaching Service", "Educational Psychology Service",
                        "Sensory Support Service (HI/VI)", "Autism Outreach Team", "Portage Service",
                        "SEND Casework Team")
TUITION_PROVIDERS = ("Bright Futures Tuition, Ltd", "Wyvern Home Tuition Service", "Minerva Online School",
                     "Pathways Outreach", "The Learning Bus CIC", "Kite Tutors", "Access Education",
                     "Re-engage Youth Project")
INCLUSION_SERVICES = ("Inclusion Support Team", "Behaviour Support Outreach", "Attendance & Inclusion Hub")
THERAPY_PROVIDERS = ("Wyvern Health NHS Foundation Trust - Speech and Language Therapy",
                     "Wyvern Health NHS Foundation Trust - Occupational Therapy",
                     "Severn Children's Physiotherapy Partnership")

# People (names are dropped at ingest; they are here so the extract looks like the real thing)
FORENAMES_F = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia", "Grace",
    "Freya", "Willow", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte", "Evelyn",
    "Sienna", "Daisy", "Phoebe", "Sophie", "Alice", "Harper", "Matilda", "Ruby", "Emilia", "Maya",
    "Millie", "Erin", "Imogen", "Scarlett", "Chloe", "Holly", "Jessica", "Lucy", "Megan", "Hannah",
    "Katie", "Bethany", "Abigail", "Eleanor", "Georgia", "Lola", "Zara", "Harriet", "Niamh",
)
FORENAMES_M = (
    "Oliver", "George", "Noah", "Arthur", "Harry", "Leo", "Muhammad", "Jack", "Charlie", "Oscar", "Jacob",
    "Henry", "Thomas", "Freddie", "Alfie", "Theo", "William", "Theodore", "Archie", "Joshua", "Alexander",
    "James", "Isaac", "Edward", "Lucas", "Tommy", "Finley", "Max", "Logan", "Ethan", "Mason", "Harrison",
    "Sebastian", "Teddy", "Dylan", "Riley", "Samuel", "Daniel", "Callum", "Kieran", "Lewis", "Jamie",
    "Connor", "Ryan", "Owen", "Tyler", "Bradley", "Reece", "Kai", "Liam",
)
SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
    "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott",
    "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly",
    "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox",
    "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson",
    "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell",
    "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell",
    "Barker", "Fisher", "Stevens", "Jenkins", "Dixon", "Fletcher", "Howard", "O'Brien", "O'Neill",
    "Pritchard", "Gardner", "Hayward", "Stone", "Sheppard", "Perkins", "Cole", "Dawson", "Bishop",
    "Hopkins", "Lane", "Rees", "Pearce", "Burgess", "Hale", "Summers", "Tucker",
)
# Names by major ethnic group, used for children of that group (a light touch of realism)
FORENAMES_BY_GROUP: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "asian": (("Aisha", "Fatima", "Maryam", "Zainab", "Priya", "Anaya", "Inaya", "Safa", "Amira", "Hafsa"),
              ("Mohammed", "Ibrahim", "Yusuf", "Aryan", "Zayn", "Ayaan", "Rayyan", "Omar", "Arjun", "Hamza")),
    "black": (("Amara", "Nia", "Zuri", "Imani", "Adaeze", "Chioma", "Keisha", "Tiana", "Ayo", "Esi"),
              ("Kofi", "Tyrone", "Jayden", "Malachi", "Chidi", "Kwame", "Tobi", "Andre", "Emeka", "Marcus")),
    "white_other": (("Zofia", "Maja", "Julia", "Alicja", "Ioana", "Elena", "Natalia", "Oliwia", "Lena",
                     "Bianca"),
                    ("Jakub", "Filip", "Szymon", "Antoni", "Andrei", "Mihai", "Luca", "Mateusz", "Nikola",
                     "Tomasz")),
    "chinese": (("Mei", "Xinyi", "Jia", "Lin", "Yan"), ("Wei", "Hao", "Jun", "Ming", "Chen")),
}
SURNAMES_BY_GROUP: dict[str, tuple[str, ...]] = {
    "asian": ("Patel", "Khan", "Ahmed", "Hussain", "Begum", "Ali", "Shah", "Akhtar", "Islam", "Rahman",
              "Chowdhury", "Sharma", "Kaur", "Singh", "Mistry"),
    "black": ("Okafor", "Mensah", "Adeyemi", "Campbell", "Boateng", "Okoro", "Asante", "Grant", "Francis",
              "Williams", "Brown", "Eze", "Afolabi", "Reid", "Henry"),
    "white_other": ("Nowak", "Kowalski", "Wisniewski", "Popescu", "Ionescu", "Kaminski", "Lewandowski",
                    "Rossi", "Novak", "Horvat"),
    "chinese": ("Wang", "Li", "Zhang", "Liu", "Chen", "Wong", "Cheung"),
}

# Ethnicity mix of an English county's pupils (DfE minor codes), realistic rather than any real LA's
ETHNICITY_MIX: dict[str, float] = {
    "WBRI": 0.785, "WIRI": 0.003, "WIRT": 0.002, "WOTH": 0.045, "WROM": 0.003,
    "MWBC": 0.016, "MWBA": 0.007, "MWAS": 0.012, "MOTH": 0.016,
    "AIND": 0.015, "APKN": 0.007, "ABAN": 0.004, "AOTH": 0.010,
    "BCRB": 0.005, "BAFR": 0.013, "BOTH": 0.003,
    "CHNE": 0.004, "OOTH": 0.009, "REFU": 0.008, "NOBT": 0.013,
}
