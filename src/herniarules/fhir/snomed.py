"""A small, closed map from SNOMED CT condition codes to ICD-10-CM, for conditions coded only in
SNOMED CT.

herniarules reads ICD-10 and ICD-10-CM. Many EHRs (and Synthea, which writes the test data most
integrators start from) code conditions in SNOMED CT alone. A condition whose SNOMED CT code is
in :data:`SNOMED_TO_ICD10_CM` is read as the ICD-10-CM code given here, and then judged by the
shipped code table like any other code; a code in :data:`SNOMED_NOT_A_CONDITION` is a social
circumstance, not a disorder, and is left out with a note. Every other SNOMED CT code stays
*unclassified*: the condition gives *insufficient data* until an ICD-10 code is recorded.

Each target is the ICD-10-CM code that names the same disorder at the same level of detail
(the unspecified code of the category where SNOMED CT does not say more), in the manner of the
NLM SNOMED CT to ICD-10-CM map; codes whose target depends on details the SNOMED CT concept does
not give (an injury's side and encounter, a pregnancy outcome) are left out on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["SNOMED_NOT_A_CONDITION", "SNOMED_TO_ICD10_CM"]

#: SNOMED CT concept id -> ICD-10-CM code (dotted).
SNOMED_TO_ICD10_CM: Mapping[str, str] = MappingProxyType(
    {
        # circulatory
        "38341003": "I10",  # Hypertensive disorder
        "59621000": "I10",  # Essential hypertension
        "53741008": "I25.10",  # Coronary arteriosclerosis
        "230690007": "I63.9",  # Cerebrovascular accident
        # neoplasms and blood
        "92691004": "D07.5",  # Carcinoma in situ of prostate
        "126906006": "D49.59",  # Neoplasm of prostate (behaviour not stated)
        "271737000": "D64.9",  # Anemia
        # pregnancy
        "72892002": "Z34.90",  # Normal pregnancy
        # fever and infections
        "386661006": "R50.9",  # Fever
        "840539006": "U07.1",  # COVID-19
        "10509002": "J20.9",  # Acute bronchitis
        "195662009": "J02.9",  # Acute viral pharyngitis
        "43878008": "J02.0",  # Streptococcal sore throat
        "444814009": "J01.90",  # Viral sinusitis
        "197927001": "N39.0",  # Recurrent urinary tract infection
        # skin and digestive tract
        "24079001": "L20.9",  # Atopic dermatitis
        "51868009": "K26.9",  # Ulcer of duodenum
        # metabolic, joints, sleep, respiratory symptoms
        "15777000": "R73.03",  # Prediabetes
        "55822004": "E78.5",  # Hyperlipidemia
        "162864005": "E66.9",  # Body mass index 30+ - obesity
        "239872002": "M16.9",  # Osteoarthritis of hip
        "239873007": "M17.9",  # Osteoarthritis of knee
        "57676002": "M25.50",  # Pain in joint
        "68962001": "M79.10",  # Muscle pain
        "367498001": "J30.2",  # Seasonal allergic rhinitis
        "78275009": "G47.33",  # Obstructive sleep apnea syndrome
        "39898005": "G47.9",  # Sleep disorder
        "267036007": "R06.00",  # Dyspnea
        "49727002": "R05.9",  # Cough
        "56018004": "R06.2",  # Wheezing
        "84229001": "R53.83",  # Fatigue
        "73595000": "Z73.3",  # Stress
        "267020005": "Z98.51",  # History of tubal ligation
    }
)

#: SNOMED CT findings that are social circumstances (employment, education, housing,
#: transport, safety), not disorders: no contraindication of the clinical source is about
#: them. A condition coded with one of these alone is left out, with a note.
SNOMED_NOT_A_CONDITION: Mapping[str, str] = MappingProxyType(
    {
        "160903007": "Full-time employment",
        "160904001": "Part-time employment",
        "741062008": "Not in labor force",
        "224299000": "Received higher education",
        "5251000175109": "Received certificate of high school equivalency",
        "105531004": "Housing unsatisfactory",
        "266934004": "Transport problem",
        "713458007": "Lack of access to transportation",
        "266948004": "Has a criminal record",
        "422650009": "Social isolation",
        "423315002": "Limited social contact",
        "424393004": "Reports of violence in the environment",
        "706893006": "Victim of intimate partner abuse",
        "445281000124101": "Nutrition impaired due to limited access to healthful foods",
    }
)
