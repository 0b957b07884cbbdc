"""Closed vocabularies of the patient record, and what their terms mean to the rules.

Every word a record may use outside a code system is listed here, with where it comes from:
body sites (:class:`Site`), allergy substances (:class:`Substance`), medication categories
(:class:`MedicationCategory`) and ingredients (:data:`INGREDIENTS`), indications
(:class:`Indication`) and condition concept ids (:data:`CONDITION_CONCEPTS`). A word not
listed is an error that lists the allowed words and the closest ones; it never silently means
nothing. Synonyms are accepted only where they are unambiguous, and are replaced by the
canonical term when the record is built.

The functions at the end say what a record's entries mean: :func:`allergy_concepts` and
:func:`classify_medication` return the concept ids the rules read.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Self

from herniarules.terminology import Concept

if TYPE_CHECKING:
    from herniarules.model import Allergy, Medication

__all__ = [
    "ALLERGY_CONCEPTS",
    "ANTICOAGULANT_THERAPY",
    "ANTIPLATELET_THERAPY",
    "ATC_PATTERN",
    "CONCEPT_HINTS",
    "CONDITION_CONCEPTS",
    "HONEY_ALLERGY",
    "INGREDIENTS",
    "INGREDIENT_SYNONYMS",
    "MEDICATION_CONCEPTS",
    "MEDICATION_VALUE_SETS",
    "PLUGIN_CONCEPTS",
    "SITE_PARTS",
    "THROMBOLYTIC_THERAPY",
    "Indication",
    "MedicationCategory",
    "Site",
    "Substance",
    "Term",
    "VocabularyError",
    "allergy_concepts",
    "atc_concepts",
    "atc_concepts_reference",
    "check_atc",
    "check_concept",
    "classify_medication",
    "closest",
    "ingredient_atc",
]


class VocabularyError(ValueError):
    """Raised for a word that is not in a closed vocabulary.

    The message lists the allowed words and the closest ones: ``must be one of 'honey', ...,
    got 'hony'; did you mean 'honey'?``. ``value`` is the word given, ``suggestions`` the
    closest allowed words (possibly none).
    """

    def __init__(self, value: object, allowed: Iterable[str], suggestions: Iterable[str]) -> None:
        self.value = value
        self.allowed: tuple[str, ...] = tuple(allowed)
        self.suggestions: tuple[str, ...] = tuple(suggestions)
        listed = ", ".join(repr(word) for word in self.allowed)
        message = f"must be one of {listed}, got {_shown(value)}"
        if self.suggestions:
            message += f"; did you mean {' or '.join(map(repr, self.suggestions))}?"
        super().__init__(message)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def closest(
    value: str, words: Iterable[str], hints: Mapping[str, tuple[str, ...]] = {}
) -> tuple[str, ...]:
    """Return up to three of ``words`` closest to ``value``, ignoring case, best first.

    ``hints`` maps words that are deliberately not accepted (being ambiguous) to the words
    they may have meant: ``'blood-thinner'`` may be ``'anticoagulant'`` or ``'antiplatelet'``.
    """
    folded = value.strip().lower()
    if folded in hints:
        return hints[folded]
    import difflib

    return tuple(difflib.get_close_matches(folded, list(words), n=3, cutoff=0.6))


class Term(enum.StrEnum):
    """Base of the closed vocabularies: a term is one of its members, or a listed synonym.

    ``Substance("apitoxin")`` and ``Substance.parse("apitoxin")`` both give
    ``Substance.BEE_VENOM``; a word that is neither a member's value nor a synonym raises
    :class:`VocabularyError` listing the allowed values and the closest ones.
    """

    @classmethod
    def parse(cls, value: object) -> Self:
        """Return the member that ``value`` (a member, its value or a synonym) names."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            found = _SYNONYMS.get(cls, {}).get(value) or cls._value2member_map_.get(value)
            if found is not None:
                return found  # type: ignore[return-value]
        raise cls.unknown(value)

    @classmethod
    def unknown(cls, value: object) -> VocabularyError:
        """Return the error for a word that names no member: allowed values, closest ones."""
        allowed = [member.value for member in cls]
        suggestions: tuple[str, ...] = ()
        if isinstance(value, str):
            synonyms = _SYNONYMS.get(cls, {})
            near = closest(value, [*allowed, *synonyms], _HINTS.get(cls, {}))
            suggestions = tuple(dict.fromkeys(_canonical(cls, word) for word in near))
        return VocabularyError(value, allowed, suggestions)

    @classmethod
    def synonyms(cls) -> Mapping[str, Self]:
        """Return the accepted synonyms of this vocabulary, each with the member it means."""
        return MappingProxyType(_SYNONYMS.get(cls, {}))  # type: ignore[arg-type]

    @classmethod
    def _missing_(cls, value: object) -> Any:
        return cls.parse(value)


def _canonical(cls: type[Term], word: str) -> str:
    member = _SYNONYMS.get(cls, {}).get(word)
    return member.value if member is not None else word


#: The synonyms of each vocabulary: spelling -> member.
_SYNONYMS: dict[type[Term], dict[str, Term]] = {}
#: Words each vocabulary rejects as ambiguous, with the members they may have meant.
_HINTS: dict[type[Term], dict[str, tuple[str, ...]]] = {}


def _register(
    cls: type[Term],
    synonyms: Mapping[str, Term],
    hints: Mapping[str, tuple[str, ...]] | None = None,
) -> None:
    table = dict(synonyms)
    # A canonical term of several words is also accepted hyphenated: 'royal-jelly'.
    for member in cls:
        if " " in member.value:
            table.setdefault(member.value.replace(" ", "-"), member)
    clashes = [word for word in table if word in cls._value2member_map_]
    if clashes:  # pragma: no cover - a mistake in the tables below
        raise AssertionError(f"synonyms of {cls.__name__} shadow members: {clashes}")
    _SYNONYMS[cls] = table
    _HINTS[cls] = dict(hints or {})


# --------------------------------------------------------------------------- body sites


class Site(Term):
    """Where on the body a local condition is (a rash, a wound, varicose veins).

    Regions as a massage therapist names them. ``back`` is the posterior trunk from the base
    of the neck to the sacrum (``thoracic-back``, ``lumbar``, ``sacral``); the neck is its
    own site. ``whole-body`` covers every site. :meth:`covers` says whether one site contains
    another.
    """

    WHOLE_BODY = "whole-body"
    """The whole body, e.g. a generalised rash; covers every other site."""
    HEAD = "head"
    NECK = "neck"
    """The neck and the collar zone above the shoulder blades (cervical spine)."""
    BACK = "back"
    """The back from the base of the neck to the sacrum."""
    THORACIC_BACK = "thoracic-back"
    """The upper back, over the thoracic spine and the shoulder blades."""
    LUMBAR = "lumbar"
    """The lower back, over the lumbar spine."""
    SACRAL = "sacral"
    """Over the sacrum."""
    BUTTOCKS = "buttocks"
    CHEST = "chest"
    ABDOMEN = "abdomen"
    ARMS = "arms"
    """Either or both arms, shoulder to hand."""
    LEGS = "legs"
    """Either or both legs, hip to foot."""

    def covers(self, other: Site) -> bool:
        """Return whether this site contains ``other`` (every site contains itself)."""
        return other is self or other in SITE_PARTS[self]


_SITE_CHILDREN: dict[Site, frozenset[Site]] = {
    Site.BACK: frozenset({Site.THORACIC_BACK, Site.LUMBAR, Site.SACRAL}),
    Site.WHOLE_BODY: frozenset(set(Site) - {Site.WHOLE_BODY}),
}
#: The sites each site contains, itself excluded: ``SITE_PARTS[Site.BACK]`` is the
#: thoracic back, the lumbar and the sacral region.
SITE_PARTS: Mapping[Site, frozenset[Site]] = MappingProxyType(
    {site: _SITE_CHILDREN.get(site, frozenset()) for site in Site}
)

_register(
    Site,
    {
        "upper-back": Site.THORACIC_BACK,
        "lower-back": Site.LUMBAR,
        "low-back": Site.LUMBAR,
        "sacrum": Site.SACRAL,
        "arm": Site.ARMS,
        "leg": Site.LEGS,
        "thorax": Site.CHEST,
    },
)


# --------------------------------------------------------------------------- allergies

#: Concept id of an allergy to honey or any bee product (a contraindication to honey massage).
HONEY_ALLERGY: str = Concept.HONEY_ALLERGY.value


class Substance(Term):
    """A substance a patient is allergic to, as it is met in massage practice.

    Bee products all mean :data:`HONEY_ALLERGY`: honey massage puts honey on the skin, and
    propolis, royal jelly, pollen, venom and wax cross-react with it (clinical convention of
    apitherapy: an allergy to one bee product rules out all). Other substances mean the
    concept ``allergy-<substance>`` (``allergy-latex``, ``allergy-almond-oil``), which plugins
    read for the media they bring to the skin. ``other`` is any substance not listed; the
    allergy must then name it in ``display``, and no rule reads it.
    """

    HONEY = "honey"
    PROPOLIS = "propolis"
    """Bee glue."""
    ROYAL_JELLY = "royal jelly"
    BEE_VENOM = "bee venom"
    """Apitoxin; bee stings."""
    BEE_POLLEN = "bee pollen"
    BEESWAX = "beeswax"
    """Cera alba, in many balms and massage candles."""
    BEE_PRODUCTS = "bee products"
    """Any or all bee products, when the record does not say which."""
    LATEX = "latex"
    """Natural rubber latex: gloves, bands, some cupping sets."""
    SILICONE = "silicone"
    """Silicone cups of vacuum massage."""
    ADHESIVE = "adhesive"
    """Tape and plaster adhesives (kinesio tape, electrode pads)."""
    ACRYLIC = "acrylic"
    """Acrylate adhesives, as on kinesio tape."""
    ALMOND_OIL = "almond oil"
    """Sweet almond oil, the commonest massage base oil."""
    PEANUT_OIL = "peanut oil"
    """Arachis oil."""
    NUT_OILS = "nut oils"
    """Oils of tree nuts (walnut, macadamia, hazelnut) when the record does not say which."""
    PLANT_OILS = "plant oils"
    """Vegetable massage oils in general, when the record does not say which."""
    ESSENTIAL_OILS = "essential oils"
    """Aromatherapy oils (lavender, tea tree, ...)."""
    ARNICA = "arnica"
    """Arnica gels and oils (daisy family)."""
    LANOLIN = "lanolin"
    """Wool wax, in creams and balms."""
    FRAGRANCE = "fragrance"
    """Perfume in creams and oils (the fragrance mix of patch testing)."""
    PARAFFIN = "paraffin"
    """Paraffin wax and liquid paraffin (mineral oil), in wax baths and oils."""
    MENTHOL = "menthol"
    """Cooling gels and balms."""
    NUTS = "nuts"
    """Tree nuts as food."""
    PENICILLIN = "penicillin"
    """The commonest recorded drug allergy; no rule reads it."""
    OTHER = "other"
    """A substance not listed here; the allergy's ``display`` must name it."""


_BEE_PRODUCTS = frozenset(
    {
        Substance.HONEY,
        Substance.PROPOLIS,
        Substance.ROYAL_JELLY,
        Substance.BEE_VENOM,
        Substance.BEE_POLLEN,
        Substance.BEESWAX,
        Substance.BEE_PRODUCTS,
    }
)

_register(
    Substance,
    {
        "bee product": Substance.BEE_PRODUCTS,
        "bee glue": Substance.PROPOLIS,
        "apitoxin": Substance.BEE_VENOM,
        "bee sting": Substance.BEE_VENOM,
        "bee stings": Substance.BEE_VENOM,
        "bees wax": Substance.BEESWAX,
        "cera alba": Substance.BEESWAX,
        "natural rubber latex": Substance.LATEX,
        "rubber latex": Substance.LATEX,
        "tape adhesive": Substance.ADHESIVE,
        "acrylate": Substance.ACRYLIC,
        "acrylates": Substance.ACRYLIC,
        "sweet almond oil": Substance.ALMOND_OIL,
        "arachis oil": Substance.PEANUT_OIL,
        "nut oil": Substance.NUT_OILS,
        "plant oil": Substance.PLANT_OILS,
        "vegetable oil": Substance.PLANT_OILS,
        "vegetable oils": Substance.PLANT_OILS,
        "massage oil": Substance.PLANT_OILS,
        "massage oils": Substance.PLANT_OILS,
        "essential oil": Substance.ESSENTIAL_OILS,
        "wool wax": Substance.LANOLIN,
        "wool fat": Substance.LANOLIN,
        "perfume": Substance.FRAGRANCE,
        "parfum": Substance.FRAGRANCE,
        "fragrance mix": Substance.FRAGRANCE,
        "paraffin wax": Substance.PARAFFIN,
        "liquid paraffin": Substance.PARAFFIN,
        "mineral oil": Substance.PARAFFIN,
        "tree nuts": Substance.NUTS,
        "penicillins": Substance.PENICILLIN,
    },
)


def _substance_concepts(substance: Substance) -> frozenset[str]:
    if substance in _BEE_PRODUCTS:
        return frozenset({HONEY_ALLERGY})
    if substance is Substance.OTHER:
        return frozenset()
    return frozenset({"allergy-" + substance.value.replace(" ", "-")})


#: The concepts each substance means: bee products :data:`HONEY_ALLERGY`, ``other`` none,
#: every other substance ``allergy-<substance>`` with words joined by '-'.
ALLERGY_CONCEPTS: Mapping[Substance, frozenset[str]] = MappingProxyType(
    {substance: _substance_concepts(substance) for substance in Substance}
)


def allergy_concepts(allergy: Allergy) -> frozenset[str]:
    """Return the concept ids an allergy means (see :data:`ALLERGY_CONCEPTS`)."""
    return ALLERGY_CONCEPTS[allergy.substance]


# --------------------------------------------------------------------------- indications


class Indication(Term):
    """What massage is sought for; techniques declare the indications they serve.

    The union of the indications the bundled techniques declare (classic, segmental,
    acupressure, honey, vacuum and hydromassage, and the kinesio example), after the clinical
    source's "Indications" section.
    """

    PAIN_RELIEF = "pain-relief"
    MUSCLE_RELAXATION = "muscle-relaxation"
    """Relaxing spasmed paravertebral muscles."""
    MUSCLE_WEAKNESS = "muscle-weakness"
    """Weak or wasted muscles (honey massage, kinesio taping)."""
    COMPRESSION = "compression"
    """Compression of a nerve root by the hernia (traction in classic massage)."""
    PINCHED_MUSCLE_FIBRES = "pinched-muscle-fibres"
    CIRCULATION = "circulation"
    """Improving blood and lymph flow over the affected segment."""
    DISC_NUTRITION = "disc-nutrition"
    """Improving the nutrition of the disc by local blood flow (vacuum massage)."""
    PREVENTION = "prevention"
    """Preventive massage for a patient without a hernia, or in lasting remission."""
    REHABILITATION = "rehabilitation"
    """Recovery after surgery or an exacerbation."""


_register(Indication, {"pinched-muscle-fibers": Indication.PINCHED_MUSCLE_FIBRES})


# --------------------------------------------------------------------------- medications

#: Concept id of anticoagulant therapy (vitamin K antagonists, heparins, direct inhibitors).
ANTICOAGULANT_THERAPY: str = Concept.ANTICOAGULANT_THERAPY.value
#: Concept id of antiplatelet therapy (aspirin, P2Y12 inhibitors, dipyridamole).
ANTIPLATELET_THERAPY = "antiplatelet-therapy"
#: Concept id of thrombolytic therapy (plasminogen activators, streptokinase).
THROMBOLYTIC_THERAPY = "thrombolytic-therapy"


class MedicationCategory(Term):
    """The class of a medication, when the record gives one.

    Only the three antithrombotic classes mean a concept; ``nsaid`` and ``other`` are known
    classes that mean none. ``other`` alone classifies nothing (see
    :func:`classify_medication`). 'Blood thinner' is not accepted: it may mean an
    anticoagulant or an antiplatelet drug, which the rules tell apart.
    """

    ANTICOAGULANT = "anticoagulant"
    """ATC B01AA, B01AB, B01AE, B01AF, B01AX05: :data:`ANTICOAGULANT_THERAPY`."""
    ANTIPLATELET = "antiplatelet"
    """ATC B01AC: :data:`ANTIPLATELET_THERAPY`."""
    THROMBOLYTIC = "thrombolytic"
    """ATC B01AD: :data:`THROMBOLYTIC_THERAPY`."""
    NSAID = "nsaid"
    """Non-steroidal anti-inflammatory drug, ATC M01A; no concept."""
    OTHER = "other"
    """Any other class; no concept, and on its own not enough to classify a medication."""


_BLOOD_THINNER = (MedicationCategory.ANTICOAGULANT.value, MedicationCategory.ANTIPLATELET.value)
_register(
    MedicationCategory,
    {},
    hints={
        "blood-thinner": _BLOOD_THINNER,
        "blood-thinners": _BLOOD_THINNER,
        "blood thinner": _BLOOD_THINNER,
        "blood thinners": _BLOOD_THINNER,
    },
)

#: The concept each category means; ``nsaid`` and ``other`` mean none.
MEDICATION_CONCEPTS: Mapping[MedicationCategory, frozenset[str]] = MappingProxyType(
    {
        MedicationCategory.ANTICOAGULANT: frozenset({ANTICOAGULANT_THERAPY}),
        MedicationCategory.ANTIPLATELET: frozenset({ANTIPLATELET_THERAPY}),
        MedicationCategory.THROMBOLYTIC: frozenset({THROMBOLYTIC_THERAPY}),
        MedicationCategory.NSAID: frozenset(),
        MedicationCategory.OTHER: frozenset(),
    }
)

#: A WHO ATC code at any level from the second: the anatomical group (one of the 14 letters
#: A B C D G H J L M N P R S V), two digits, then optionally a letter, a letter and two digits
#: (``B01``, ``B01A``, ``B01AA``, ``B01AA03``).
ATC_PATTERN = re.compile(r"[ABCDGHJLMNPRSV][0-9]{2}(?:[A-Z](?:[A-Z](?:[0-9]{2})?)?)?")

#: ATC codes (or code prefixes) of each medication concept, one value set per concept.
#: Source: WHO Collaborating Centre for Drug Statistics Methodology, ATC/DDD Index 2024,
#: group B01 "Antithrombotic agents". Acetylsalicylic acid as an analgesic (N02BA01) is
#: counted as antiplatelet therapy too: it inhibits platelets irreversibly at any dose
#: (clinical convention).
MEDICATION_VALUE_SETS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        ANTICOAGULANT_THERAPY: ("B01AA", "B01AB", "B01AE", "B01AF", "B01AX05"),
        ANTIPLATELET_THERAPY: ("B01AC", "N02BA01"),
        THROMBOLYTIC_THERAPY: ("B01AD",),
    }
)

#: Ingredients by their INN (lower case) with their WHO ATC code. Source: WHO ATC/DDD Index
#: 2024 (https://atcddd.fhi.no/atc_ddd_index/). Anticoagulants, antiplatelet agents and
#: thrombolytics, then drugs that patients with back pain commonly take, which mean no
#: concept: known, so a medication list is classified completely.
INGREDIENTS: Mapping[str, str] = MappingProxyType(
    {
        # B01AA vitamin K antagonists
        "warfarin": "B01AA03",
        "phenprocoumon": "B01AA04",
        "acenocoumarol": "B01AA07",
        # B01AB heparin group
        "heparin": "B01AB01",
        "dalteparin": "B01AB04",
        "enoxaparin": "B01AB05",
        "nadroparin": "B01AB06",
        "tinzaparin": "B01AB10",
        # B01AE direct thrombin inhibitors
        "argatroban": "B01AE03",
        "bivalirudin": "B01AE06",
        "dabigatran etexilate": "B01AE07",
        # B01AF direct factor Xa inhibitors
        "rivaroxaban": "B01AF01",
        "apixaban": "B01AF02",
        "edoxaban": "B01AF03",
        # B01AX other antithrombotic agents
        "fondaparinux": "B01AX05",
        # B01AC platelet aggregation inhibitors excl. heparin
        "clopidogrel": "B01AC04",
        "ticlopidine": "B01AC05",
        "acetylsalicylic acid": "B01AC06",
        "dipyridamole": "B01AC07",
        "prasugrel": "B01AC22",
        "cilostazol": "B01AC23",
        "ticagrelor": "B01AC24",
        # B01AD enzymes (thrombolytics)
        "streptokinase": "B01AD01",
        "alteplase": "B01AD02",
        "urokinase": "B01AD04",
        "reteplase": "B01AD07",
        "tenecteplase": "B01AD11",
        # analgesics and anti-inflammatory drugs
        "paracetamol": "N02BE01",
        "metamizole sodium": "N02BB02",
        "ibuprofen": "M01AE01",
        "naproxen": "M01AE02",
        "ketoprofen": "M01AE03",
        "diclofenac": "M01AB05",
        "indometacin": "M01AB01",
        "aceclofenac": "M01AB16",
        "piroxicam": "M01AC01",
        "meloxicam": "M01AC06",
        "celecoxib": "M01AH01",
        "etoricoxib": "M01AH05",
        "nimesulide": "M01AX17",
        "morphine": "N02AA01",
        "oxycodone": "N02AA05",
        "tramadol": "N02AX02",
        "tapentadol": "N02AX06",
        # neuropathic pain and muscle relaxants
        "gabapentin": "N03AX12",
        "pregabalin": "N03AX16",
        "duloxetine": "N06AX21",
        "amitriptyline": "N06AA09",
        "baclofen": "M03BX01",
        "tizanidine": "M03BX02",
        "tolperisone": "M03BX04",
        "cyclobenzaprine": "M03BX08",
        "methocarbamol": "M03BA03",
        "diazepam": "N05BA01",
        # corticosteroids
        "dexamethasone": "H02AB02",
        "methylprednisolone": "H02AB04",
        "prednisolone": "H02AB06",
        "prednisone": "H02AB07",
        # common long-term medication
        "metformin": "A10BA02",
        "omeprazole": "A02BC01",
        "pantoprazole": "A02BC02",
        "levothyroxine sodium": "H03AA01",
        "colecalciferol": "A11CC05",
        "amlodipine": "C08CA01",
        "enalapril": "C09AA02",
        "lisinopril": "C09AA03",
        "ramipril": "C09AA05",
        "losartan": "C09CA01",
        "metoprolol": "C07AB02",
        "bisoprolol": "C07AB07",
        "hydrochlorothiazide": "C03AA03",
        "simvastatin": "C10AA01",
        "atorvastatin": "C10AA05",
        "rosuvastatin": "C10AA07",
        "sertraline": "N06AB06",
        "salbutamol": "R03AC02",
    }
)

#: Other names of ingredients in :data:`INGREDIENTS` (lower case): US names, salts and brand
#: names that denote one ingredient everywhere. Brands sold under the same name with
#: different ingredients or routes (e.g. topical forms) are left out.
INGREDIENT_SYNONYMS: Mapping[str, str] = MappingProxyType(
    {
        "warfarin sodium": "warfarin",
        "coumadin": "warfarin",
        "marcumar": "phenprocoumon",
        "sintrom": "acenocoumarol",
        "heparin sodium": "heparin",
        "unfractionated heparin": "heparin",
        "fragmin": "dalteparin",
        "enoxaparin sodium": "enoxaparin",
        "clexane": "enoxaparin",
        "lovenox": "enoxaparin",
        "fraxiparine": "nadroparin",
        "dabigatran": "dabigatran etexilate",
        "pradaxa": "dabigatran etexilate",
        "xarelto": "rivaroxaban",
        "eliquis": "apixaban",
        "lixiana": "edoxaban",
        "savaysa": "edoxaban",
        "arixtra": "fondaparinux",
        "plavix": "clopidogrel",
        "aspirin": "acetylsalicylic acid",
        "brilinta": "ticagrelor",
        "brilique": "ticagrelor",
        "efient": "prasugrel",
        "effient": "prasugrel",
        "persantine": "dipyridamole",
        "actilyse": "alteplase",
        "activase": "alteplase",
        "metalyse": "tenecteplase",
        "acetaminophen": "paracetamol",
        "metamizole": "metamizole sodium",
        "dipyrone": "metamizole sodium",
        "indomethacin": "indometacin",
        "levothyroxine": "levothyroxine sodium",
        "cholecalciferol": "colecalciferol",
        "albuterol": "salbutamol",
        "mydocalm": "tolperisone",
        "lyrica": "pregabalin",
        "neurontin": "gabapentin",
    }
)


def ingredient_atc(name: str) -> str | None:
    """Return the ATC code of a medication name (INN or synonym, any case), or ``None``."""
    key = " ".join(name.lower().split())  # lower case, each run of white space one space
    return _INGREDIENT_ATC.get(_INGREDIENT_SYNONYMS.get(key, key))


# Plain copies of the read-only tables for lookups: a dict's get is a direct call, a
# mapping proxy's goes through the proxy.
_INGREDIENT_ATC: dict[str, str] = dict(INGREDIENTS)
_INGREDIENT_SYNONYMS: dict[str, str] = dict(INGREDIENT_SYNONYMS)


def check_atc(code: str) -> None:
    """Raise ``ValueError`` unless ``code`` is shaped like a WHO ATC code (:data:`ATC_PATTERN`)."""
    if not ATC_PATTERN.fullmatch(code):
        raise ValueError(
            "must be a WHO ATC code: an anatomical group letter, two digits, then optionally a "
            f"letter, a letter and two digits (e.g. 'B01AA03', 'B01AC', 'M01A'), got {_shown(code)}"
        )


def atc_concepts(code: str) -> frozenset[str] | None:
    """Return the medication concepts an ATC code means, or ``None`` if it cannot say.

    A code inside a value set of :data:`MEDICATION_VALUE_SETS` means that concept; a code
    outside all of them and not above any of them means none (``M01AE01`` ibuprofen). A code
    more general than a value set's boundary (``B01A``, ``B01AX``) covers drugs with and
    without the concept, so it is ``None``: not classifiable.
    """
    # What atc_concepts_reference works out over every boundary, read from two tables: the
    # code's prefixes as long as some boundary looked up among the boundaries.
    if code in _ABOVE_BOUNDARY:
        return None
    found = _NONE
    for end in _BOUNDARY_LENGTHS:
        meant = _BOUNDARY_CONCEPTS.get(code[:end])
        if meant is not None:
            found = found | meant
    return found


def atc_concepts_reference(code: str) -> frozenset[str] | None:
    """:func:`atc_concepts` as the value sets define it: every boundary compared in turn."""
    concepts: set[str] = set()
    for concept, prefixes in MEDICATION_VALUE_SETS.items():
        for prefix in prefixes:
            if code.startswith(prefix):
                concepts.add(concept)
            elif prefix.startswith(code):
                return None
    return frozenset(concepts)


_NONE: frozenset[str] = frozenset()
#: Each value-set boundary (an ATC prefix) with the concepts whose value sets it bounds.
_BOUNDARY_CONCEPTS: Mapping[str, frozenset[str]] = {
    prefix: frozenset(c for c, prefixes in MEDICATION_VALUE_SETS.items() if prefix in prefixes)
    for prefixes in MEDICATION_VALUE_SETS.values()
    for prefix in prefixes
}
#: The lengths of the boundaries, shortest first: the only prefixes of a code worth looking up.
_BOUNDARY_LENGTHS: tuple[int, ...] = tuple(sorted({len(prefix) for prefix in _BOUNDARY_CONCEPTS}))
#: The codes more general than some boundary: its proper prefixes (``B``, ``B01``, ``B01A``).
_ABOVE_BOUNDARY: frozenset[str] = frozenset(
    prefix[:end] for prefix in _BOUNDARY_CONCEPTS for end in range(len(prefix))
)


def classify_medication(medication: Medication) -> frozenset[str] | None:
    """Return the concept ids a medication means, or ``None`` if it cannot be classified.

    Each part of the record that is known classifies: a category other than ``other``
    (:data:`MEDICATION_CONCEPTS`), an ATC code that is not more general than a value set
    boundary (:func:`atc_concepts`), a name found in :data:`INGREDIENTS` or
    :data:`INGREDIENT_SYNONYMS`. The result is the union of what the known parts mean, so a
    record whose parts disagree (warfarin recorded as an antiplatelet) means both concepts.
    It is empty for a medication known to mean none (paracetamol), and ``None`` when no part
    is known: a name not in the table with no ATC code and no category, or category ``other``
    alone. ``None`` must be read as "unknown", never as "not an anticoagulant".
    """
    known = False
    concepts: set[str] = set()
    category = medication.category
    if category is not None and category is not MedicationCategory.OTHER:
        concepts.update(MEDICATION_CONCEPTS[category])
        known = True
    if medication.atc is not None:
        found = atc_concepts(medication.atc)
        if found is not None:
            concepts.update(found)
            known = True
    if medication.name is not None:
        code = ingredient_atc(medication.name)
        if code is not None:
            concepts.update(atc_concepts(code) or ())
            known = True
    return frozenset(concepts) if known else None


# --------------------------------------------------------------------------- conditions

#: Concept ids that the plugins bundled with herniarules define with their own value sets;
#: a condition may name them when no code is known.
PLUGIN_CONCEPTS: Mapping[str, str] = MappingProxyType(
    {
        "osteoporosis": "herniarules-classic, value set classic.osteoporosis (traction rules)",
        "open-wound": "herniarules-hydromassage, value set hydromassage.open-wound",
    }
)

#: Every concept id a condition may name, sorted: the core concepts
#: (:class:`herniarules.terminology.Concept`), the medication concepts and
#: :data:`PLUGIN_CONCEPTS`.
CONDITION_CONCEPTS: tuple[str, ...] = tuple(
    sorted(
        {
            *(concept.value for concept in Concept),
            *MEDICATION_VALUE_SETS,
            *PLUGIN_CONCEPTS,
        }
    )
)
_CONDITION_CONCEPT_SET = frozenset(CONDITION_CONCEPTS)


#: Everyday words for a concept that are not concept ids, with the concept they point to.
CONCEPT_HINTS: Mapping[str, tuple[str, ...]] = {
    "cancer": ("malignancy",),
    "tumour": ("malignancy",),
    "tumor": ("malignancy",),
    "oncology": ("malignancy",),
    "pregnant": ("pregnancy",),
    "thrombosis": ("thrombosis-tendency",),
    "dvt": ("thrombosis-tendency",),
    "anaemia": ("blood-disease",),
    "anemia": ("blood-disease",),
    "heart-disease": ("heart-dysfunction",),
    "depression": ("psychiatric-disorder",),
    "varices": ("varicose-veins",),
    "infection": ("infectious-disease",),
    "eczema": ("purulent-skin-rash", "skin-pathology"),
    "rash": ("purulent-skin-rash", "skin-pathology"),
    "high-blood-pressure": ("hypertension",),
}


def check_concept(value: str) -> None:
    """Raise :class:`VocabularyError` unless ``value`` is in :data:`CONDITION_CONCEPTS`.

    The error names the closest concept ids, and for an everyday word such as ``cancer`` the
    concept it points to (:data:`CONCEPT_HINTS`); the word itself is never accepted.
    """
    if value not in _CONDITION_CONCEPT_SET:
        raise VocabularyError(
            value, CONDITION_CONCEPTS, closest(value, CONDITION_CONCEPTS, CONCEPT_HINTS)
        )
