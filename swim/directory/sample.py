"""A seeded, realistic sample area for the demo: about 3,000 made-up organisations.

Everything here is invented and marked as such (``is_sample=True``, org-ids
``XI-SWIM-SAMPLE-<n>``, source ``"sample"``); the pages label it "sample data". The
organisations are spread over a borough-sized area (the neighbourhoods of Trafford, Greater
Manchester) with denser neighbourhood centres, carry register-style names and activities,
Charity Commission classification codes and incomes in NCVO proportions, and belong to
networks with ties between them.

Some structure is planted on purpose, for cluster discovery to find:

- six small women's organisations within a few streets of each other in Old Trafford and
  Stretford, all in the local women's forum, several sharing trustees;
- five older people's groups in Urmston, Davyhulme and Flixton in a partnership with the
  borough's Age UK;
- five youth organisations in Sale working together in the youth network.

Two steps, as in the importers: :func:`generate_sample_area` builds plain data (no database,
deterministic for a seed) and :func:`ensure_sample_area` writes it once.

>>> area = generate_sample_area(seed=7, size=120)
>>> len(area.organisations), area.organisations[0].name
(120, "Old Trafford Women's Centre")
>>> area == generate_sample_area(seed=7, size=120)
True
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

from django.db import transaction
from django.utils.text import slugify

from swim.directory.models import (
    Classification,
    GeocodePrecision,
    IncomeBand,
    Network,
    NetworkMembership,
    Organisation,
    Tie,
)

DEFAULT_SEED = 2026
DEFAULT_SIZE = 3000
SOURCE = "sample"
ORG_ID_PREFIX = "XI-SWIM-SAMPLE-"
LOCAL_AUTHORITY = ("E08000009", "Trafford")

# The Charity Commission for England and Wales classification codes (what / who / how), as
# in the public code list of its register extract.
CCEW_CLASSIFICATIONS: dict[str, dict[str, str]] = {
    "ccew-what": {
        "101": "General Charitable Purposes",
        "102": "Education Training",
        "103": "The Advancement Of Health Or Saving Of Lives",
        "104": "Disability",
        "105": "The Prevention Or Relief Of Poverty",
        "106": "Overseas Aid Famine Relief",
        "107": "Accommodation Housing",
        "108": "Religious Activities",
        "109": "Arts Culture Heritage Science",
        "110": "Amateur Sport",
        "111": "Animals",
        "112": "Environment Conservation Heritage",
        "113": "Economic Community Development Employment",
        "114": "Armed Forces Emergency Service Efficiency",
        "115": "Human Rights Religious Or Racial Harmony Equality Or Diversity",
        "116": "Recreation",
        "117": "Other Charitable Purposes",
    },
    "ccew-who": {
        "201": "Children Young People",
        "202": "Elderly Old People",
        "203": "People With Disabilities",
        "204": "People Of A Particular Ethnic Or Racial Origin",
        "205": "Other Charities Or Voluntary Bodies",
        "206": "Other Defined Groups",
        "207": "The General Public Mankind",
    },
    "ccew-how": {
        "301": "Makes Grants To Individuals",
        "302": "Makes Grants To Organisations",
        "303": "Provides Other Finance",
        "304": "Provides Human Resources",
        "305": "Provides Buildings Facilities Open Space",
        "306": "Provides Services",
        "307": "Provides Advocacy Advice Information",
        "308": "Sponsors Or Undertakes Research",
        "309": "Acts As An Umbrella Or Resource Body",
        "310": "Other Charitable Activities",
    },
}
_SCHEME_OF_CODE = {code: scheme for scheme, codes in CCEW_CLASSIFICATIONS.items() for code in codes}

# NCVO income bands and the share of voluntary organisations in each (UK Civil Society
# Almanac): (band, share, lowest income, highest income) in pounds.
INCOME_BANDS: list[tuple[IncomeBand, float, int, int]] = [
    (IncomeBand.MICRO, 0.45, 300, 9_999),
    (IncomeBand.SMALL, 0.35, 10_000, 99_999),
    (IncomeBand.MEDIUM, 0.15, 100_000, 999_999),
    (IncomeBand.LARGE, 0.04, 1_000_000, 9_999_999),
    (IncomeBand.MAJOR, 0.01, 10_000_000, 40_000_000),
]
UNKNOWN_INCOME_SHARE = 0.04  # new or unregistered groups with no accounts yet


@dataclass(frozen=True)
class Neighbourhood:
    name: str
    latitude: float
    longitude: float
    spread: float  # standard deviation, degrees of latitude
    weight: float
    outward_codes: tuple[str, ...]


# fmt: off
NEIGHBOURHOODS = [
    Neighbourhood("Stretford",          53.4465, -2.3110, 0.0060, 10, ("M32",)),
    Neighbourhood("Gorse Hill",         53.4540, -2.2990, 0.0035,  5, ("M32",)),
    Neighbourhood("Lostock",            53.4490, -2.3280, 0.0035,  3, ("M32",)),
    Neighbourhood("Old Trafford",       53.4580, -2.2800, 0.0050, 10, ("M16",)),
    Neighbourhood("Firswood",           53.4470, -2.2830, 0.0035,  4, ("M16",)),
    Neighbourhood("Urmston",            53.4480, -2.3550, 0.0060,  8, ("M41",)),
    Neighbourhood("Davyhulme",          53.4590, -2.3700, 0.0050,  5, ("M41",)),
    Neighbourhood("Flixton",            53.4440, -2.3860, 0.0050,  5, ("M41",)),
    Neighbourhood("Sale",               53.4250, -2.3220, 0.0070, 10, ("M33",)),
    Neighbourhood("Sale Moor",          53.4190, -2.3020, 0.0045,  5, ("M33",)),
    Neighbourhood("Ashton upon Mersey", 53.4300, -2.3450, 0.0045,  4, ("M33",)),
    Neighbourhood("Brooklands",         53.4130, -2.3190, 0.0040,  4, ("M33",)),
    Neighbourhood("Timperley",          53.3990, -2.3250, 0.0060,  6, ("WA15",)),
    Neighbourhood("Altrincham",         53.3870, -2.3490, 0.0060, 10, ("WA14", "WA15")),
    Neighbourhood("Broadheath",         53.3960, -2.3570, 0.0040,  4, ("WA14",)),
    Neighbourhood("Hale",               53.3770, -2.3470, 0.0045,  4, ("WA15",)),
    Neighbourhood("Hale Barns",         53.3690, -2.3150, 0.0045,  3, ("WA15",)),
    Neighbourhood("Bowdon",             53.3780, -2.3650, 0.0040,  2, ("WA14",)),
    Neighbourhood("Partington",         53.4190, -2.4280, 0.0045,  4, ("M31",)),
    Neighbourhood("Carrington",         53.4350, -2.4000, 0.0040,  1, ("M31",)),
]
# fmt: on
_BY_NAME = {n.name: n for n in NEIGHBOURHOODS}
BOROUGH_BOUNDS = (53.360, -2.470, 53.475, -2.265)  # south, west, north, east
SCATTERED_SHARE = 0.08  # organisations away from any neighbourhood centre


def _split(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


STREETS = _split("""
    Kings Road, Chester Road, Talbot Road, Washway Road, Moss Lane, Church Road, Station Road,
    Park Road, Victoria Road, Derbyshire Lane, Barton Road, Flixton Road, Stamford Road,
    Manchester Road, Cross Street, School Road, Northenden Road, Ayres Road, Seymour Grove,
    Railway Road, Woodsend Road, Moorside Road, Green Lane, Brook Road, Oak Avenue, Elm Grove,
    Marsland Road, Harboro Road, Higher Road, Dane Road, Crofts Bank Road, Irlam Road,
    Shaftesbury Avenue, Cavendish Road, Warwick Road, Ryebank Road, Urmston Lane,
    Navigation Road, Thorley Lane, Ashley Road
""")
SAINTS = _split("""
    St Mary's, St Matthew's, St John's, St Peter's, St Anne's, St Alban's, St Michael's,
    St Paul's, St Hilda's, St Bride's, St Joseph's, St Margaret's, All Saints, Holy Trinity,
    Emmanuel, St George's, St Martin's, St Clement's, St Luke's, St Francis'
""")
PARKS = _split("""
    Longford Park, Victoria Park, Davyhulme Park, Walton Park, Worthington Park, Stamford Park,
    Gorse Hill Park, Seymour Park, Turn Moss, Sale Water Park, John Leigh Park,
    Broadheath Park, Abbotsfield Park, Golden Hill Park, Moss Park, Hullard Park,
    Woodheys Park, Ashton Park, Timperley Brook, Kenworthy Woods
""")
SCHOOLS = _split("""
    Seymour Park, Gorse Hill, Moss Park, Kings Road, Victoria Park, Barton Clough, Highfield,
    Woodhouse, Springfield, Brooklands, Park Road, Firs, Willows, Oakfield, Navigation,
    Stamford Park, Bollin, Well Green, Wellfield, Cloverlea, Worthington, Tyntesfield,
    Broomwood, Flixton, Davyhulme, Kingsway, Templemoor, Heyes Lane, Elmridge, Ashgrove
""")
ESTATES = _split("""
    Lacy Street, Bridgewater, Riverside, Canalside, Ashburton, Racecourse, Sunnybank,
    Meadowside, Mersey Bank, Humphrey Park, Moss View, Gorsey Bank, Rivershill, Woodlands
""")
SURNAMES = _split("""
    Ashworth, Brierley, Cheetham, Dawson, Entwistle, Fairclough, Greenhalgh, Hollinworth,
    Kershaw, Lomax, Mottram, Ogden, Pilkington, Ramsbottom, Schofield, Tattersall, Whitworth,
    Yates
""")
ADJECTIVES = _split("""
    Bright, Open, New, Rising, Safe, Green, Golden, Brighter, Warm, Common, Shared, Little,
    Hopeful, Sunrise, Steady, Kind
""")
NOUNS = _split("""
    Futures, Doors, Steps, Horizons, Roots, Hands, Spaces, Voices, Bridges, Hearts, Paths,
    Pathways, Beginnings, Threads
""")
ORDINALS = _split("1st, 2nd, 3rd, 4th, 5th, 6th, 7th, 8th, 9th, 10th, 11th, 12th")


@dataclass(frozen=True)
class OrgKind:
    """A kind of local organisation: how it is named, what it does, how it is classified.

    ``what``, ``who`` and ``how`` are CCEW codes, the first of each always given; ``size``
    is the kind's tendency to be larger (+) or smaller (-) than the typical organisation.
    """

    key: str
    weight: float
    names: tuple[str, ...]
    activities: tuple[str, ...]
    what: tuple[str, ...]
    who: tuple[str, ...]
    how: tuple[str, ...]
    size: float
    domain: str


# fmt: off
KINDS = [
    OrgKind(
        "community_centre", 6,
        ("{place} Community Centre", "{saint} Community Centre", "{street} Community Hall",
         "{place} Community Association", "{estate} Community Hub", "{estate} Community Centre"),
        ("Runs a community centre in {place} open to all residents, with rooms for hire, a "
         "cafe and activities for children, families and older people.",
         "Provides and maintains a community hall on {street} for the recreation and leisure "
         "of the inhabitants of {place}.",
         "Community hub offering advice sessions, a lunch club, youth nights and classes for "
         "people living in {place} and nearby."),
        ("116", "113"), ("207",), ("305", "306"), 0.4, "community",
    ),
    OrgKind(
        "residents", 5,
        ("{street} Residents Association", "{place} Tenants and Residents Association",
         "{estate} Residents Group", "{street} Neighbourhood Watch", "{estate} Residents Forum"),
        ("Represents residents of {place} on housing, planning and local issues, organises "
         "clean-ups and an annual street party.",
         "A voluntary association of tenants and residents working to improve the "
         "{estate} area and to give residents a voice with the council and landlords."),
        ("113",), ("207",), ("307",), -1.3, "community",
    ),
    OrgKind(
        "foodbank", 3,
        ("{place} Foodbank", "{place} Community Pantry", "{saint} Food Share",
         "{estate} Community Fridge", "{estate} Pantry"),
        ("Provides emergency food parcels to people in crisis in {place}, referred by local "
         "agencies, and signposts them to advice on debt, benefits and housing.",
         "A membership food pantry for households on low incomes in {place}, with fresh food "
         "at low cost and a weekly cooking club."),
        ("105",), ("207", "206"), ("306", "307"), 0.2, "poverty",
    ),
    OrgKind(
        "women", 3,
        ("{place} Women's Aid", "{place} Women's Centre", "{place} Asian Women's Group",
         "{place} Women's Wellbeing Project", "{place} Mums' Network",
         "{estate} Women's Group", "{estate} Women's Wellbeing Circle"),
        ("Supports women and children in {place} affected by domestic abuse with advice, "
         "advocacy, counselling and a safe space to meet.",
         "A women's group in {place} offering English classes, wellbeing sessions, "
         "sewing and a weekly drop-in for women who are isolated."),
        ("115", "105"), ("206",), ("307", "306"), 0.0, "women",
    ),
    OrgKind(
        "youth_football", 4,
        ("{place} Youth Football Club", "{place} Juniors FC", "{place} Girls Football Club",
         "{place} Rangers Junior Football Club", "{park} Juniors FC", "{estate} Athletic JFC"),
        ("Provides football coaching and matches for boys and girls aged 5 to 16 in {place}, "
         "run by volunteer coaches.",
         "Junior football club playing at {park}, promoting health and teamwork for young "
         "people in {place}."),
        ("110",), ("201",), ("306",), -0.7, "youth",
    ),
    OrgKind(
        "scouts", 3,
        ("{nth} {place} Scout Group",),
        ("Scouting for young people aged 6 to 18 in {place}: Beavers, Cubs, Scouts and "
         "Explorers, meeting weekly at the group's hut on {street}.",),
        ("102", "116"), ("201",), ("306",), -1.1, "youth",
    ),
    OrgKind(
        "guides", 2,
        ("{nth} {place} Brownies", "{nth} {place} Guides", "{nth} {place} Rainbows"),
        ("Girlguiding unit in {place} offering weekly meetings, camps and challenges for "
         "girls.",),
        ("102", "116"), ("201",), ("306",), -1.5, "youth",
    ),
    OrgKind(
        "youth", 4,
        ("{place} Youth Club", "{place} Youth Project", "{place} Young People's Forum",
         "{estate} Youth Zone", "{adj} {noun} Youth", "{estate} Youth Project"),
        ("Youth club for young people aged 11 to 19 in {place}, with detached youth work, "
         "mentoring and holiday activities.",
         "Gives young people in {place} a voice on local decisions and runs projects on "
         "mental health, employability and the arts."),
        ("102", "116"), ("201",), ("306", "307"), 0.0, "youth",
    ),
    OrgKind(
        "older", 5,
        ("{place} Over 60s Club", "{place} Lunch Club", "{place} Dementia Cafe",
         "{place} Good Neighbours", "{saint} Friendship Group", "{place} Age Well Group",
         "{street} Lunch Club", "{estate} Good Neighbours"),
        ("A weekly lunch and social club for older people in {place}, with transport for "
         "members who cannot get out on their own.",
         "Volunteers visit and telephone older neighbours in {place} who live alone, and run "
         "a monthly dementia-friendly cafe."),
        ("103", "116"), ("202",), ("306",), -0.8, "older",
    ),
    OrgKind(
        "church", 6,
        ("{saint} Church, {place}", "{place} Methodist Church", "{place} Baptist Church",
         "{place} United Reformed Church", "{place} Gospel Hall", "{place} Pentecostal Church",
         "{street} Evangelical Church", "{street} Methodist Church"),
        ("The advancement of the Christian faith in {place} through worship, teaching and "
         "pastoral care, and the upkeep of the church building.",
         "A church serving {place}: Sunday worship, a toddler group, a night shelter in "
         "winter and a hall used by community groups."),
        ("108",), ("207",), ("306", "305"), 0.2, "faith",
    ),
    OrgKind(
        "mosque", 2,
        ("{place} Mosque and Islamic Centre", "{place} Islamic Education Centre",
         "{place} Masjid Trust", "{street} Masjid"),
        ("Provides a place of worship and Islamic education for Muslims in {place}, with "
         "supplementary classes for children and a community kitchen.",),
        ("108", "102"), ("204", "207"), ("306", "305"), 0.3, "faith",
    ),
    OrgKind(
        "other_faith", 1,
        ("{place} Gurdwara", "{place} Hindu Cultural Society", "{place} Hebrew Congregation",
         "{place} Buddhist Group", "{place} Interfaith Network"),
        ("Religious and cultural activities for the community in {place}, festivals open to "
         "all, and support for families in need.",),
        ("108", "115"), ("204", "207"), ("306",), 0.0, "faith",
    ),
    OrgKind(
        "playgroup", 3,
        ("{place} Baby and Toddler Group", "{place} Pre-School Playgroup",
         "{saint} Stay and Play", "{place} Parent and Baby Group", "{street} Playgroup",
         "{estate} Toddlers"),
        ("A parent-run toddler group meeting in {place}, for children under five and the "
         "adults who care for them.",),
        ("102",), ("201",), ("306",), -0.8, "children",
    ),
    OrgKind(
        "pta", 3,
        ("Friends of {school} Primary School", "{school} School PTA",
         "{school} Primary School Parents Association"),
        ("Raises funds for the school in {place} and organises events for pupils and "
         "families.",),
        ("102",), ("201",), ("302", "306"), -1.2, "children",
    ),
    OrgKind(
        "friends_park", 2,
        ("Friends of {park}", "{park} Conservation Volunteers"),
        ("Volunteers who look after {park}: planting, litter picks, a wildlife survey and "
         "events for the community of {place}.",),
        ("112",), ("207",), ("305",), -1.4, "environment",
    ),
    OrgKind(
        "garden", 2,
        ("{place} Community Garden", "{place} Allotment Society", "{place} In Bloom",
         "{estate} Growing Project", "{street} Allotments Association"),
        ("A community growing space in {place} where residents grow food together, with "
         "sessions for schools and people with mental health needs.",),
        ("112", "116"), ("207",), ("305", "306"), -1.1, "environment",
    ),
    OrgKind(
        "sport", 5,
        ("{place} Cricket Club", "{place} Bowling Club", "{place} Boxing Club",
         "{place} Running Club", "{place} Amateur Swimming Club", "{place} Tennis Club",
         "{place} Rugby Union Football Club", "{place} Walking Netball", "{park} Bowling Club",
         "{park} parkrun Volunteers", "{place} Table Tennis Club", "{place} Harriers"),
        ("Promotes amateur sport in {place} for people of all ages and abilities, with "
         "coaching, competitions and affordable membership.",),
        ("110",), ("207",), ("305", "306"), -0.5, "sport",
    ),
    OrgKind(
        "arts", 4,
        ("{place} Amateur Dramatic Society", "{place} Choir", "{place} Arts Collective",
         "{place} Brass Band", "{place} Heritage Society", "{place} Camera Club",
         "{place} Community Radio", "{place} Festival", "{place} Operatic Society",
         "{place} Writers Circle", "{place} Local History Society", "{place} Art Group"),
        ("Promotes the arts in {place} through performances, workshops and an annual show, "
         "open to residents of every background.",),
        ("109",), ("207",), ("306",), -0.9, "arts",
    ),
    OrgKind(
        "health", 3,
        ("{place} Carers Group", "{place} Mental Health Forum", "{place} Stroke Club",
         "{place} Parkinson's Support Group", "{place} Wellbeing Cafe",
         "{place} Breathe Easy Group", "{place} Cancer Support Group"),
        ("Supports unpaid carers and people with long-term health conditions in {place} "
         "with peer groups, information and short breaks.",),
        ("103",), ("203", "206"), ("306", "307"), 0.2, "health",
    ),
    OrgKind(
        "disability", 2,
        ("{place} Disability Forum", "{place} Deaf Club", "{place} Autism Support Group",
         "{place} Gateway Club", "{place} Sight Loss Group"),
        ("Social activities, advice and advocacy for disabled people and their families in "
         "{place}.",),
        ("104",), ("203",), ("306", "307"), -0.3, "disability",
    ),
    OrgKind(
        "communities", 3,
        ("{place} Refugee Support", "{place} Polish Community Association",
         "{place} African Caribbean Association", "{place} Chinese Community Centre",
         "{place} Kurdish Community Group", "{place} Somali Community Association",
         "{place} Irish Association", "{place} Bangladeshi Welfare Association"),
        ("Welcomes and supports people new to {place}: English conversation, help with "
         "forms and services, and cultural celebrations.",),
        ("115", "113"), ("204",), ("307", "306"), -0.2, "communities",
    ),
    OrgKind(
        "advice", 2,
        ("{place} Credit Union", "{place} Debt Advice Centre", "{place} Law Centre",
         "{place} Welfare Rights Project"),
        ("Free, confidential advice on debt, benefits, housing and employment for people "
         "living or working in {place}.",),
        ("105", "113"), ("207",), ("307", "303"), 0.7, "poverty",
    ),
    OrgKind(
        "employment", 2,
        ("{place} Jobs Club", "{place} Men's Shed", "{place} Skills Hub",
         "{place} Repair Cafe", "{street} Workshop"),
        ("Helps people in {place} into work and volunteering through skills sessions, "
         "mentoring and a friendly workshop.",),
        ("113", "102"), ("206",), ("306",), -0.3, "community",
    ),
    OrgKind(
        "housing", 1,
        ("{place} Housing Trust", "{surname} Almshouse Charity", "{place} Homeless Project",
         "{place} Night Shelter"),
        ("Provides affordable accommodation and support for people in housing need in "
         "{place}.",),
        ("107",), ("206",), ("305", "306"), 1.0, "housing",
    ),
    OrgKind(
        "grantmaker", 1,
        ("{place} Relief in Need Charity", "The {surname} Trust",
         "{place} Educational Foundation", "{surname} Charitable Trust"),
        ("Makes grants to individuals in need and to local organisations in {place}.",),
        ("105", "102"), ("206",), ("301", "302"), 0.4, "grants",
    ),
    OrgKind(
        "animals", 1,
        ("{place} Cat Rescue", "{place} Animal Sanctuary", "{place} Dog Rescue",
         "{place} Hedgehog Rescue"),
        ("Rescues, cares for and rehomes animals from {place} and the surrounding area.",),
        ("111",), ("207",), ("306",), -0.5, "animals",
    ),
    OrgKind(
        "veterans", 1,
        ("{place} Royal British Legion Branch", "{place} Veterans Breakfast Club"),
        ("Comradeship and welfare support for serving and former members of the armed "
         "forces and their families in {place}.",),
        ("114",), ("206",), ("306",), -1.0, "veterans",
    ),
    OrgKind(
        "general", 4,
        ("The {adj} {noun} Project", "{adj} {noun} {place}", "{place} Together",
         "{adj} {noun} Trust", "{place} Community Trust", "{adj} {noun} CIO"),
        ("A community project in {place} bringing residents together through volunteering, "
         "events and practical help for neighbours.",
         "Works with local people in {place} to tackle isolation, poverty and poor health "
         "through groups, advice and activities."),
        ("101", "117"), ("207",), ("306",), 0.0, "community",
    ),
]
# fmt: on
_KIND = {k.key: k for k in KINDS}
_KIND_WEIGHTS = [k.weight for k in KINDS]
_PLACE_WEIGHTS = [n.weight for n in NEIGHBOURHOODS]


@dataclass(frozen=True)
class SampleOrg:
    """One made-up organisation, numbered from 1 in creation order."""

    number: int
    name: str
    kind: str
    neighbourhood: str
    address: str
    postcode: str
    latitude: float
    longitude: float
    income: int | None
    date_registered: date
    activities: str
    classifications: tuple[tuple[str, str], ...]  # (scheme, code)

    @property
    def org_id(self) -> str:
        return f"{ORG_ID_PREFIX}{self.number}"


@dataclass(frozen=True)
class SampleNetwork:
    name: str
    kind: str
    members: tuple[tuple[int, str], ...]  # (organisation number, role)

    @property
    def slug(self) -> str:
        return f"sample-{slugify(self.name)}"[:120]


@dataclass(frozen=True)
class SampleTie:
    a: int  # organisation numbers, a < b
    b: int
    kind: str
    evidence: str


@dataclass
class SampleArea:
    organisations: list[SampleOrg] = field(default_factory=list)
    networks: list[SampleNetwork] = field(default_factory=list)
    ties: list[SampleTie] = field(default_factory=list)


# Planted structure, created first, so the demo member's organisation (the first sample
# organisation) is one of the women's group.
WOMENS_FORUM = "Stretford and Old Trafford Women's Forum"
# fmt: off
PLANTED_WOMEN = [  # (name, neighbourhood, income, activities)
    ("Old Trafford Women's Centre", "Old Trafford", 38_500,
     "A drop-in centre for women in Old Trafford: advice, English classes, counselling and "
     "a weekly lunch. Two part-time staff and twenty volunteers; no in-house HR or IT."),
    ("Riverside Women's Aid", "Old Trafford", 86_000,
     "Supports women and children affected by domestic abuse with outreach, advocacy and "
     "a helpline; payroll and HR are done by the treasurer."),
    ("Stretford Asian Women's Group", "Stretford", 12_400,
     "Wellbeing, sewing and English conversation for South Asian women in Stretford, "
     "meeting three times a week."),
    ("Gorse Hill Mums' Network", "Gorse Hill", 4_600,
     "A peer support network for mothers in Gorse Hill, with a baby bank and a Friday "
     "stay-and-play."),
    ("Firswood Women's Wellbeing Project", "Firswood", 23_800,
     "Walking groups, mental health support and confidence courses for women in Firswood "
     "and Old Trafford."),
    ("Kings Road Somali Women's Association", "Old Trafford", 7_900,
     "Advice, homework clubs and health information for Somali women and their families "
     "around Kings Road."),
]
WOMEN_CENTRE = (53.4525, -2.2905)  # the few streets they share
OLDER_PARTNERSHIP = "Urmston Older People's Partnership"
PLANTED_OLDER = [  # (name, neighbourhood, income)
    ("Urmston Lunch Club", "Urmston", 9_200),
    ("Davyhulme Dementia Cafe", "Davyhulme", 6_100),
    ("Flixton Good Neighbours", "Flixton", 31_000),
    ("Urmston Over 60s Club", "Urmston", 3_400),
    ("St Michael's Friendship Group", "Flixton", 2_100),
]
YOUTH_NETWORK = "Trafford Youth Network"
PLANTED_YOUTH = [  # (name, kind, neighbourhood, income)
    ("Sale Youth Project", "youth", "Sale", 146_000),
    ("Sale Moor Youth Club", "youth", "Sale Moor", 41_000),
    ("Brooklands Girls Football Club", "youth_football", "Brooklands", 8_800),
    ("1st Sale Scout Group", "scouts", "Sale", 14_500),
    ("Ashton upon Mersey Young People's Forum", "youth", "Ashton upon Mersey", 19_000),
]
# Local branches of national federations, and the area's infrastructure body:
# (name, kind, neighbourhood, income, federation, role, activities).
BRANCHES = [
    ("Age UK Trafford", "older", "Sale", 2_400_000, "Age UK network", "local partner",
     "Information and advice, day centres, home help, a handyperson service and the Age Well "
     "programme for older people across Trafford, with local partners in every township."),
    ("Citizens Advice Trafford", "advice", "Stretford", 1_150_000, "Citizens Advice network",
     "local Citizens Advice",
     "Free, independent and confidential advice on benefits, debt, housing, employment and "
     "consumer rights, from offices in Stretford and Altrincham and outreach in the community."),
    ("Trafford Domestic Abuse Services", "women", "Sale", 640_000, "Women's Aid Federation",
     "member service",
     "Refuge accommodation, outreach and an independent domestic violence advocacy service "
     "for women, men and children across the borough."),
    ("Trafford Council for Voluntary Service", "general", "Sale", 780_000,
     "National Association for Voluntary and Community Action", "member",
     "The local infrastructure body for voluntary and community groups in Trafford: funding "
     "advice, training, volunteer recruitment and a voice with the council and the NHS."),
    ("Trafford District Scout Council", "scouts", "Stretford", 96_000, "The Scout Association",
     "district",
     "Supports the Scout groups of Trafford with training for leaders, district camps and "
     "the upkeep of the district campsite."),
    ("Trafford Carers Centre", "health", "Altrincham", 1_320_000, "Carers Trust network",
     "network partner",
     "Information, breaks, counselling and a young carers service for unpaid carers living "
     "or caring in Trafford."),
]
# fmt: on
CVS_NETWORK = "Trafford Voluntary Sector Forum"
FAITH_FORUM = "Trafford Faith Forum"
_PLANTED_COUNT = len(PLANTED_WOMEN) + len(PLANTED_OLDER) + len(PLANTED_YOUTH) + len(BRANCHES)


def generate_sample_area(*, seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE) -> SampleArea:
    """The sample area for ``seed``: ``size`` organisations, their networks and ties.

    Pure and deterministic: the same seed and size give the same area.

    >>> a = generate_sample_area(seed=1, size=80)
    >>> len(a.organisations), all(o.latitude and o.longitude for o in a.organisations)
    (80, True)
    >>> a.organisations[-1].org_id
    'XI-SWIM-SAMPLE-80'
    """
    if size < _PLANTED_COUNT:
        raise ValueError(f"A sample area needs at least {_PLANTED_COUNT} organisations.")
    return _Builder(random.Random(seed), size).build()


class _Builder:
    """Builds one :class:`SampleArea`; holds the random generator and what is made so far."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.rng = rng
        self.size = size
        self.orgs: list[SampleOrg] = []
        self.names: set[str] = set()
        self.repeats: Counter[str] = Counter()
        self.networks: dict[str, tuple[str, dict[int, str]]] = {}
        self.ties: dict[tuple[int, int, str], str] = {}
        self.fixed_income: dict[int, int] = {}
        self.special: set[int] = set()

    def build(self) -> SampleArea:
        self._planted()
        while len(self.orgs) < self.size:
            self._add_generic()
        self._assign_incomes()
        self._networks()
        self._ties()
        networks = [
            SampleNetwork(name, kind, tuple(sorted(members.items())))
            for name, (kind, members) in self.networks.items()
        ]
        ties = [SampleTie(a, b, kind, ev) for (a, b, kind), ev in sorted(self.ties.items())]
        return SampleArea(self.orgs, networks, ties)

    # --- organisations -------------------------------------------------------------------

    def _planted(self) -> None:
        rng = self.rng
        lat0, lon0 = WOMEN_CENTRE
        for name, place, income, activities in PLANTED_WOMEN:
            location = (lat0 + rng.gauss(0, 0.0025), lon0 + rng.gauss(0, 0.004))
            n = self._add("women", name, place, location=location, activities=activities)
            self._special(n, income)
        for name, place, income in PLANTED_OLDER:
            self._special(self._add("older", name, place), income)
        for name, kind, place, income in PLANTED_YOUTH:
            self._special(self._add(kind, name, place), income)
        for name, kind, place, income, _network, _role, activities in BRANCHES:
            self._special(self._add(kind, name, place, activities=activities), income)

    def _special(self, number: int, income: int) -> None:
        self.fixed_income[number] = income
        self.special.add(number)

    def _add_generic(self) -> None:
        rng = self.rng
        if rng.random() < SCATTERED_SHARE:
            south, west, north, east = BOROUGH_BOUNDS
            lat, lon = rng.uniform(south, north), rng.uniform(west, east)
            location: tuple[float, float] | None = (lat, lon)
            place = _nearest(lat, lon).name
        else:
            location = None
            place = rng.choices(NEIGHBOURHOODS, weights=_PLACE_WEIGHTS)[0].name
        kind, name, words = self._name(place)
        number = self._add(kind.key, name, place, location=location, words=words)
        if kind.key == "church" and name.startswith(words["saint"]) and rng.random() < 0.5:
            self._add_church_offshoot(number, words)

    def _name(self, place: str) -> tuple[OrgKind, str, dict[str, str]]:
        """A kind and an unused name for it; when a kind's names run out, another kind."""
        rng = self.rng
        for _ in range(24):
            kind = rng.choices(KINDS, weights=_KIND_WEIGHTS)[0]
            for _ in range(3):
                words = self._words(place)
                name = rng.choice(kind.names).format(**words)
                if name not in self.names:
                    return kind, name, words
        self.repeats[name] += 1  # a very large area: number the repeats, as registers do
        return kind, f"{name} ({self.repeats[name] + 1})", words

    def _add_church_offshoot(self, church: int, words: dict[str, str]) -> None:
        if len(self.orgs) >= self.size:
            return
        template, kind = self.rng.choice(
            [
                ("{saint} Community Centre, {place}", "community_centre"),
                ("{saint} Toddler Group, {place}", "playgroup"),
                ("{saint} Food Share, {place}", "foodbank"),
                ("{saint} Friendship Group, {place}", "older"),
            ]
        )
        name = template.format(**words)
        if name in self.names:
            return
        parent = self.orgs[church - 1]
        location = (
            parent.latitude + self.rng.gauss(0, 0.0008),
            parent.longitude + self.rng.gauss(0, 0.0012),
        )
        child = self._add(kind, name, parent.neighbourhood, location=location, words=words)
        self._tie(church, child, Tie.Kind.PARENT, f"{name} is run by {parent.name}")

    def _words(self, place: str) -> dict[str, str]:
        rng = self.rng
        return {
            "place": "Trafford" if rng.random() < 0.04 else place,
            "saint": rng.choice(SAINTS),
            "street": rng.choice(STREETS),
            "park": rng.choice(PARKS),
            "school": rng.choice(SCHOOLS),
            "estate": rng.choice(ESTATES),
            "surname": rng.choice(SURNAMES),
            "adj": rng.choice(ADJECTIVES),
            "noun": rng.choice(NOUNS),
            "nth": ORDINALS[min(int(rng.expovariate(0.35)), len(ORDINALS) - 1)],
        }

    def _add(
        self,
        kind_key: str,
        name: str,
        place: str,
        *,
        location: tuple[float, float] | None = None,
        activities: str = "",
        words: dict[str, str] | None = None,
    ) -> int:
        rng = self.rng
        kind = _KIND[kind_key]
        hood = _BY_NAME[place]
        words = words or self._words(place)
        if location is None:
            lat = hood.latitude + rng.gauss(0, hood.spread)
            lon = hood.longitude + rng.gauss(0, hood.spread / math.cos(math.radians(lat)))
        else:
            lat, lon = location
        street = words["street"]
        number = len(self.orgs) + 1
        self.orgs.append(
            SampleOrg(
                number=number,
                name=name,
                kind=kind.key,
                neighbourhood=place,
                address=f"{rng.randint(1, 240)} {street}, {place}",
                postcode=self._postcode(hood),
                latitude=round(lat, 6),
                longitude=round(lon, 6),
                income=None,
                date_registered=self._registered(),
                activities=activities or rng.choice(kind.activities).format(**words),
                classifications=self._classify(kind),
            )
        )
        self.names.add(name)
        return number

    def _postcode(self, hood: Neighbourhood) -> str:
        letters = "ABDEFGHJLNPQRSTUWXYZ"  # the letters used in inward codes
        rng = self.rng
        return (
            f"{rng.choice(hood.outward_codes)} {rng.randint(0, 9)}"
            f"{rng.choice(letters)}{rng.choice(letters)}"
        )

    def _registered(self) -> date:
        rng = self.rng
        year = max(1962, 2025 - int(rng.expovariate(1 / 16)))
        return date(year, rng.randint(1, 12), rng.randint(1, 28))

    def _classify(self, kind: OrgKind) -> tuple[tuple[str, str], ...]:
        rng = self.rng
        codes = [kind.what[0], kind.who[0], kind.how[0]]
        for extra in (*kind.what[1:], *kind.who[1:], *kind.how[1:]):
            if rng.random() < 0.6:
                codes.append(extra)
        if rng.random() < 0.15:
            codes.append(rng.choice(["207", "206", "101", "307"]))
        return tuple(sorted({(_SCHEME_OF_CODE[c], c) for c in codes}))

    def _assign_incomes(self) -> None:
        """Draw incomes in NCVO proportions; give the largest to the largest-tending kinds."""
        rng = self.rng
        generic = [o for o in self.orgs if o.number not in self.special]
        unknown = {o.number for o in generic if rng.random() < UNKNOWN_INCOME_SHARE}
        known = [o for o in generic if o.number not in unknown]
        incomes = sorted(_draw_income(rng) for _ in known)
        ranked = sorted(known, key=lambda o: _KIND[o.kind].size + rng.gauss(0, 0.2))
        income_of = dict(self.fixed_income)
        income_of.update(zip((o.number for o in ranked), incomes, strict=True))
        self.orgs = [_with_income(o, income_of.get(o.number)) for o in self.orgs]

    # --- networks and ties ---------------------------------------------------------------

    def _join(self, network: str, kind: str, number: int, role: str = "member") -> None:
        self.networks.setdefault(network, (kind, {}))[1].setdefault(number, role)

    def _tie(self, a: int, b: int, kind: str, evidence: str) -> None:
        if a != b:
            self.ties.setdefault((min(a, b), max(a, b), str(kind)), evidence)

    def _networks(self) -> None:
        rng = self.rng
        by_name = {o.name: o.number for o in self.orgs}
        women = [by_name[name] for name, *_ in PLANTED_WOMEN]
        for i, number in enumerate(women):
            self._join(WOMENS_FORUM, "local forum", number, "chair" if i == 0 else "member")
        older = [by_name[name] for name, *_ in PLANTED_OLDER]
        for number in [by_name["Age UK Trafford"], *older]:
            self._join(OLDER_PARTNERSHIP, "partnership", number)
        for name, *_ in PLANTED_YOUTH:
            self._join(YOUTH_NETWORK, "local network", by_name[name])
        for name, _kind, _place, _income, federation, role, _activities in BRANCHES:
            self._join(federation, "federation", by_name[name], role)
        self._join(
            CVS_NETWORK, "infrastructure", by_name["Trafford Council for Voluntary Service"], "host"
        )
        for org in self.orgs:
            if org.number in self.special and org.number not in older:
                continue
            self._generic_memberships(org, rng)
        other_women = [
            o.number
            for o in self.orgs
            if o.kind == "women" and o.number not in women and o.number not in self.special
        ]
        for number in rng.sample(other_women, min(2, len(other_women))):
            self._join(WOMENS_FORUM, "local forum", number)

    def _generic_memberships(self, org: SampleOrg, rng: random.Random) -> None:
        domain = _KIND[org.kind].domain
        if rng.random() < 0.12:
            self._join(CVS_NETWORK, "infrastructure", org.number)
        if org.kind == "scouts":
            self._join("The Scout Association", "federation", org.number, "scout group")
        elif org.kind == "guides":
            self._join("Girlguiding", "federation", org.number, "unit")
        elif "Foodbank" in org.name:
            self._join("Trussell foodbank network", "federation", org.number)
        elif "Royal British Legion" in org.name:
            self._join("The Royal British Legion", "federation", org.number, "branch")
        if domain == "youth" and rng.random() < 0.3:
            self._join(YOUTH_NETWORK, "local network", org.number)
        if domain == "faith" and rng.random() < 0.45:
            self._join(FAITH_FORUM, "faith forum", org.number)
        if domain == "faith" and org.neighbourhood.startswith(("Sale", "Ashton", "Brooklands")):
            self._join("Churches Together in Sale", "faith forum", org.number)
        urmston = org.neighbourhood in {"Urmston", "Davyhulme", "Flixton"}
        if domain == "older" and urmston and rng.random() < 0.3:
            self._join(OLDER_PARTNERSHIP, "partnership", org.number)

    def _ties(self) -> None:
        by_name = {o.name: o.number for o in self.orgs}
        trustee = Tie.Kind.SHARED_TRUSTEE
        women = [by_name[name] for name, *_ in PLANTED_WOMEN]
        for i, j in [(0, 1), (1, 2), (0, 3), (3, 4), (4, 5), (2, 5), (0, 4)]:
            self._tie(women[i], women[j], trustee, "A trustee sits on both boards")
        self._tie(women[1], women[5], Tie.Kind.PARTNERSHIP, "Joint domestic abuse outreach")
        age_uk = by_name["Age UK Trafford"]
        older = [by_name[name] for name, *_ in PLANTED_OLDER]
        for number in older:
            self._tie(age_uk, number, Tie.Kind.PARTNERSHIP, "Partner in the Age Well programme")
        self._tie(older[0], older[3], trustee, "A trustee sits on both boards")
        youth = [by_name[name] for name, *_ in PLANTED_YOUTH]
        for i, j in [(0, 1), (0, 2), (0, 4), (1, 3)]:
            self._tie(youth[i], youth[j], Tie.Kind.PARTNERSHIP, "Shared summer programme")
        district = by_name["Trafford District Scout Council"]
        for org in self.orgs:
            if org.kind == "scouts" and org.number != district:
                self._tie(district, org.number, Tie.Kind.PARENT, "Scout group in the district")
        self._random_ties()

    def _random_ties(self) -> None:
        rng = self.rng
        generic = [o for o in self.orgs if o.number not in self.special]
        by_place: dict[str, list[int]] = defaultdict(list)
        by_domain: dict[str, list[int]] = defaultdict(list)
        for org in generic:
            by_place[org.neighbourhood].append(org.number)
            by_domain[_KIND[org.kind].domain].append(org.number)
        for _ in range(int(0.05 * len(generic))):
            org = rng.choice(generic)
            pool = (
                by_place[org.neighbourhood] if rng.random() < 0.8 else [o.number for o in generic]
            )
            self._tie(
                org.number,
                rng.choice(pool),
                Tie.Kind.SHARED_TRUSTEE,
                "A trustee sits on both boards",
            )
        for _ in range(int(0.04 * len(generic))):
            org = rng.choice(generic)
            pool = by_domain[_KIND[org.kind].domain]
            self._tie(
                org.number,
                rng.choice(pool),
                Tie.Kind.PARTNERSHIP,
                "Declared partnership in annual report",
            )


def _draw_income(rng: random.Random) -> int:
    """An annual income drawn from the NCVO band shares, log-uniform within the band."""
    bands = INCOME_BANDS
    _band, _share, low, high = rng.choices(bands, weights=[b[1] for b in bands])[0]
    return round(math.exp(rng.uniform(math.log(low), math.log(high))))


def _with_income(org: SampleOrg, income: int | None) -> SampleOrg:
    return replace(org, income=income)


def _nearest(latitude: float, longitude: float) -> Neighbourhood:
    scale = math.cos(math.radians(latitude))
    return min(
        NEIGHBOURHOODS,
        key=lambda n: (n.latitude - latitude) ** 2 + ((n.longitude - longitude) * scale) ** 2,
    )


# --- Writing it to the database ----------------------------------------------------------


def ensure_sample_area(*, seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE) -> int:
    """Create the sample area unless one exists; return how many sample organisations exist.

    Idempotent: when any sample organisation is already there, nothing is written.
    """
    existing = Organisation.objects.filter(is_sample=True).count()
    if existing:
        return existing
    area = generate_sample_area(seed=seed, size=size)
    with transaction.atomic():
        write_sample_area(area)
    from swim.directory.importing import refresh_statistics

    refresh_statistics()
    return len(area.organisations)


def write_sample_area(area: SampleArea) -> None:
    """Insert ``area`` with bulk inserts (a few seconds for 3,000 organisations)."""
    code, authority = LOCAL_AUTHORITY
    Organisation.objects.bulk_create(
        [
            Organisation(
                org_id=o.org_id,
                name=o.name,
                address=o.address,
                postcode=o.postcode,
                latitude=o.latitude,
                longitude=o.longitude,
                geocode_precision=GeocodePrecision.SUPPLIED,
                local_authority_code=code,
                local_authority=authority,
                area_of_operation=authority,
                income=o.income,
                income_band=IncomeBand.for_income(o.income),
                financial_year_end=date(2025, 3, 31) if o.income is not None else None,
                date_registered=o.date_registered,
                activities=o.activities,
                source=SOURCE,
                is_sample=True,
            )
            for o in area.organisations
        ],
        batch_size=500,
    )
    pks = dict(Organisation.objects.filter(is_sample=True).values_list("org_id", "pk").iterator())
    pk_of = {o.number: pks[o.org_id] for o in area.organisations}
    classes = _classifications()
    through = Organisation.classifications.through
    through.objects.bulk_create(
        [
            through(organisation_id=pk_of[o.number], classification_id=classes[ref])
            for o in area.organisations
            for ref in o.classifications
        ],
        batch_size=2000,
    )
    _write_networks(area, pk_of)
    Tie.objects.bulk_create(
        [
            Tie(
                a_id=min(pk_of[t.a], pk_of[t.b]),
                b_id=max(pk_of[t.a], pk_of[t.b]),
                kind=t.kind,
                source=SOURCE,
                evidence=t.evidence,
            )
            for t in area.ties
        ],
        batch_size=1000,
    )


def _classifications() -> dict[tuple[str, str], int]:
    """The CCEW codes' primary keys, creating any that are missing."""
    wanted = {
        (s, c): label for s, codes in CCEW_CLASSIFICATIONS.items() for c, label in codes.items()
    }
    existing = {
        (s, c): pk
        for s, c, pk in Classification.objects.filter(scheme__in=CCEW_CLASSIFICATIONS).values_list(
            "scheme", "code", "pk"
        )
    }
    Classification.objects.bulk_create(
        [
            Classification(scheme=s, code=c, label=label)
            for (s, c), label in wanted.items()
            if (s, c) not in existing
        ]
    )
    return {
        (s, c): pk
        for s, c, pk in Classification.objects.filter(scheme__in=CCEW_CLASSIFICATIONS).values_list(
            "scheme", "code", "pk"
        )
    }


def _write_networks(area: SampleArea, pk_of: dict[int, int]) -> None:
    existing = {n.slug: n for n in Network.objects.filter(slug__in=[n.slug for n in area.networks])}
    Network.objects.bulk_create(
        [
            Network(name=n.name, slug=n.slug, kind=n.kind, source=SOURCE)
            for n in area.networks
            if n.slug not in existing
        ]
    )
    network_pk = dict(
        Network.objects.filter(slug__in=[n.slug for n in area.networks]).values_list("slug", "pk")
    )
    NetworkMembership.objects.bulk_create(
        [
            NetworkMembership(
                network_id=network_pk[n.slug],
                organisation_id=pk_of[number],
                role=role,
                source=SOURCE,
            )
            for n in area.networks
            for number, role in n.members
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
