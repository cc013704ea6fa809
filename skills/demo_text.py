"""Names, places and notes the demo draws from (`skills.demo`)."""

FIRST_NAMES = [
    "José",
    "Zoë",
    "Łukasz",
    "Ánh",
    "Søren",
    "Maria",
    "James",
    "Aaliyah",
    "DeShawn",
    "Emily",
    "Carlos",
    "Mei",
    "Tyrone",
    "Fatima",
    "Kevin",
    "Rosa",
    "Andre",
    "Hannah",
    "Luis",
    "Keisha",
    "Brian",
    "Guadalupe",
    "Marcus",
    "Olivia",
    "Darnell",
    "Sofia",
    "Wei",
    "Jasmine",
    "Robert",
    "Ayesha",
    "Tomás",
    "Linda",
    "Jamal",
    "Chloé",
    "Ibrahim",
    "Grace",
    "Miguel",
    "Tanya",
    "Eli",
    "Nadia",
]
LAST_NAMES = [
    "García",
    "Fischer",
    "Kowalski",
    "Nguyễn Thị",
    "Sørensen",
    "Lopez",
    "Johnson",
    "Williams",
    "Brown",
    "Davis",
    "Martinez",
    "Chen",
    "Jackson",
    "Khan",
    "O'Brien",
    "Hernández",
    "Moore",
    "Taylor",
    "Ramírez",
    "Robinson",
    "Clark",
    "Flores",
    "Walker",
    "Young",
    "Allen",
    "Rossi",
    "Zhang",
    "Wright",
    "King",
    "Ali",
    "Peña",
    "Scott",
    "Green",
    "Dubois",
    "Hassan",
    "Baker",
    "Torres",
    "Nelson",
    "Hill",
    "Haddad",
]
MENTOR_NAMES = ["Dana Reyes", "Sam Okafor", "Pat Lindqvist", "Jordan Blake", "Alex Moreno"]
CASE_MANAGER_NAMES = ["Casey Whitfield", "Morgan Ito"]
PLACES = [
    "Route 12 to the clinic",
    "Main St. grocery store",
    "Library on 5th",
    "Downtown bank branch",
    "Pharmacy on Elm",
    "Benefits office",
    "Transit center",
    "Home visit",
    "Peer center",
]
# Where a skill is practiced, by domain; PLACES for the rest.
DOMAIN_PLACES = {
    "getting-around": ["Route 12 to the clinic", "Transit center"],
    "food-and-groceries": ["Main St. grocery store", "Home visit"],
    "money-and-banking": ["Downtown bank branch", "Peer center"],
    "home": ["Home visit"],
    "health-and-medication": ["Pharmacy on Elm", "Home visit"],
    "staying-well": ["Peer center", "Home visit"],
    "community-and-services": ["Benefits office", "Library on 5th"],
    "work-and-learning": ["Library on 5th", "Peer center"],
}
# Notes that fit the skill: by skill key where one is worth its own words, else by the
# skill's domain; GENERAL_NOTES for a domain not listed (an organisation's own curriculum).
SKILL_NOTES = {
    "get-transit-card": ["We got the card at the transit office. Bring ID next time."],
    "ride-and-pay": ["Tapped the card and found a seat. Calm the whole ride."],
    "use-debit-card-atm": ["Took out $20 and put the card away first. Nice!"],
    "make-a-budget": ["We wrote down rent, food and phone. Money left: $40."],
    "refill-prescription": ["Called the pharmacy for the refill. Picked it up Friday."],
    "use-pill-organizer": ["Filled the pill box for the week. All the days are set."],
    "know-988-crisis-line": ["Saved 988 in the phone. We talked about when to call."],
    "cook-simple-meal": ["Made rice and beans. It tasted good!"],
    "do-laundry": ["Two loads at the laundromat. Sorted darks and lights."],
    "get-library-card": ["Got the library card today. Took out two books."],
}
DOMAIN_NOTES = {
    "getting-around": [
        "We practiced this on a trip to the clinic.",
        "Out on the bus route today. Went well.",
        "Planned the trip first, then did it.",
    ],
    "food-and-groceries": [
        "We practiced this on our trip to the store.",
        "Did it at home in the kitchen. Went well.",
        "Kept to the food budget this week.",
    ],
    "money-and-banking": [
        "We went over the money steps together.",
        "Did it at the bank with me nearby.",
        "Wrote it all down. Great work.",
    ],
    "home": [
        "Did it at home without a reminder.",
        "We made a chore chart for this.",
        "The home looked great when I came by.",
    ],
    "health-and-medication": [
        "We practiced this before the clinic visit.",
        "Wrote it on the calendar so it is not missed.",
        "Asked good questions. Well done.",
    ],
    "staying-well": [
        "We talked about what helps on a hard day.",
        "Tried it this week. Felt a bit better.",
        "Wrote it in the wellness plan.",
    ],
    "community-and-services": [
        "We went to the office together. All done.",
        "Brought the right papers this time.",
        "Asked for help with one part. Good!",
    ],
    "communication-and-safety": [
        "Practiced what to say first. Then did it.",
        "Calm and clear. Great job.",
        "We role-played it twice.",
    ],
    "work-and-learning": [
        "Worked on this at the library.",
        "Practiced together. Good answers.",
        "Made a plan for next week.",
    ],
}
GENERAL_NOTES = [
    "We did this together. It went well.",
    "Practiced twice this week. Next time, try it alone.",
    "Felt nervous at first, then calm. Great work.",
    "Needed a reminder about the last step.",
]
# About one note in three is left blank, as in real use.
BLANK_NOTE_SHARE = 0.3
STAFF_NOTES = {
    "getting-around": "Missed one session; check in about transport.",
    "money-and-banking": "Talked about stress around money; follow up with case manager.",
    "health-and-medication": "Mentioned side effects; suggest raising it with the prescriber.",
    "staying-well": "Hard week; shared the crisis line and plan. Follow up Monday.",
    "home": "Landlord issue came up; case manager to follow up on the lease.",
}
STAFF_NOTE_GENERAL = "Check in with the case manager before the next session."

# The mentee's own words: "I did it", confirming or questioning a sign-off.
DID_IT_NOTES = [
    "I did it on my own today!",
    "I did it this morning. It was easy.",
    "Did it with my sister watching. No help.",
    "",
]
MENTOR_REPLIES = [
    "Great start! Let's do it together once more on Tuesday, then I can sign it off.",
    "Almost there. Next time, try the last step on your own too.",
    "So proud of you. Show me at our next meeting and we'll mark it.",
]
CONFIRM_WORDS = [
    "Yes, I did this myself.",
    "That's right. It felt good.",
    "",
    "Yes! Next I want to try it alone.",
]
DISAGREE_WORDS = [
    "I still need help with the last part.",
    "I did more than this. I went alone the second time.",
    "We only talked about it. We did not practice yet.",
]
# Local details an admin keeps for a skill: by skill key.
RESOURCES = {
    "get-transit-card": "Transit office, 12 Main St. Open 9 to 5 on weekdays. Bring a photo ID.",
    "apply-reduced-fare-card": "Reduced fare forms are at the transit office, 12 Main St.",
    "use-food-pantry": "Riverside Food Pantry, 40 Elm St. Tuesdays and Fridays, 10 to 2.",
    "open-bank-account": "Riverside Credit Union, 5 Bank St. Ask for Ms. Diaz; no fee account.",
    "get-state-id": "DMV on Route 9. Free ID with a letter from your case manager.",
    "find-peer-support-group": "Peer center, 3 Oak Ave: group on Mondays at 6 pm.",
    "get-library-card": "Library on 5th. Bring mail with your address.",
}
RESOURCE_GENERAL = "Ask at the peer center front desk (3 Oak Ave) for where to go nearby."
GROUP_TOPICS = ["Practice together", "Group outing", "Skills class at the peer center"]


def note_for(skill_key: str, domain_key: str, draw: float, pick: int, staff_only: bool) -> str:
    """A note that fits the skill: its own, else its domain's; `draw` (0 to 1) and `pick`
    come from the demo's seeded random numbers."""
    if staff_only:
        return STAFF_NOTES.get(domain_key, STAFF_NOTE_GENERAL)
    if draw < BLANK_NOTE_SHARE:
        return ""
    notes = SKILL_NOTES.get(skill_key) or DOMAIN_NOTES.get(domain_key) or GENERAL_NOTES
    return notes[pick % len(notes)]
