"""The core value-set definitions: which ICD-10 codes express each concept of the source.

Each :class:`~herniarules.terminology.valuesets.ValueSet` quotes the passage of the clinical
source it implements and lists its lines, each with its reason. Where the source names a
condition without saying how severe a form must be to forbid massage, the *tier* of a line
follows clinical convention: nothing the source names drops below *requires clearance*, so it
stays not permitted until a physician's clearance is recorded; severe or acute forms stay
*defer* (a state that passes) or *contraindicated* (a lasting one). A clinic may make a tier
stricter through :class:`herniarules.Policy`, never looser.

:data:`REVIEWED` lists, per chapter, the codes that were reviewed and found not to bear on
massage for a disc hernia, so that the audit can prove every valid code of both systems was
looked at: a code in no concept and in no reviewed line (a chapter added by a new release)
fails the audit until someone decides.

Changing a line changes the shipped code table: regenerate it with
``python -m herniarules.terminology.expand`` and review the audit summary it prints.
"""

from __future__ import annotations

from herniarules.outcomes import Outcome
from herniarules.terminology.codes import CodeSystem
from herniarules.terminology.valuesets import BOTH_SYSTEMS, CodeRange, Concept, ValueSet

__all__ = ["CORE_VALUE_SETS", "REVIEWED"]

_WHO = frozenset({CodeSystem.ICD10})
_CM = frozenset({CodeSystem.ICD10_CM})
_CONV = "clinical convention: "
X = Outcome.CONTRAINDICATED
D = Outcome.DEFER
RC = Outcome.REQUIRES_CLEARANCE
A = Outcome.ALLOWED


def _i(
    start: str,
    end: str | None = None,
    reason: str = "",
    *,
    tier: Outcome | None = None,
    site: str | None = None,
    systems: frozenset[CodeSystem] = BOTH_SYSTEMS,
) -> CodeRange:
    return CodeRange(
        start, start if end is None else end, systems, tier=tier, site=site, reason=reason
    )


def _x(
    start: str,
    end: str | None = None,
    reason: str = "",
    *,
    systems: frozenset[CodeSystem] = BOTH_SYSTEMS,
) -> CodeRange:
    return CodeRange(start, start if end is None else end, systems, exclude=True, reason=reason)


def _vs(
    concept: Concept,
    title: str,
    source: str,
    *codes: CodeRange,
    tier: Outcome,
    history_tier: Outcome | None = None,
) -> ValueSet:
    return ValueSet(
        concept, title, codes, source, f"core.{concept.value}", tier=tier,
        history_tier=history_tier,
    )  # fmt: skip


# WHO ICD-10 alcohol and drug disorders F10-F19 share fourth characters: .0 acute intoxication,
# .3 withdrawal state, .4 withdrawal with delirium, .5 psychotic disorder.
_SUBSTANCES = tuple(f"F1{digit}" for digit in range(10) if digit != 7)
_ACUTE_SUBSTANCE = tuple(
    _i(f"{category}.{fourth}", reason="acute intoxication or withdrawal (WHO fourth character "
       f".{fourth}): a state that passes", tier=D, systems=_WHO)
    for category in _SUBSTANCES
    for fourth in ("0", "3", "4")
)  # fmt: skip
_PSYCHOTIC_SUBSTANCE = tuple(
    _i(f"{category}.5", reason="psychotic disorder due to the substance", tier=X, systems=_WHO)
    for category in _SUBSTANCES
)
# ICD-10-CM writes the same states in the fifth character of F1x.1 (abuse), F1x.2
# (dependence) and F1x.9 (use): 2 with intoxication, 3 with withdrawal, 5 with a psychotic
# disorder. Hallucinogens (F16) and inhalants (F18) have no withdrawal codes.
_NO_WITHDRAWAL = frozenset({"F16", "F18"})
_CM_SUBSTANCE = tuple(
    _i(f"{category}.{use}{fifth}", reason=reason, tier=tier, systems=_CM)
    for category in _SUBSTANCES
    for use in "129"
    for fifth, reason, tier in (
        ("2", "intoxication with the substance: a state that passes", D),
        ("3", "withdrawal from the substance: a state that passes", D),
        ("5", "psychotic disorder due to the substance", X),
    )
    if not (fifth == "3" and category in _NO_WITHDRAWAL)
)


CORE_VALUE_SETS: tuple[ValueSet, ...] = (
    _vs(Concept.MALIGNANCY, "Malignant neoplasms and neoplasms under treatment",
        '"upon detection of oncological processes in the body"; "The presence of cancer in the '
        'body of any location." — ' + _CONV + "every malignant neoplasm contraindicates; "
        "carcinoma in situ, neoplasms of uncertain behaviour and a history of cancer need the "
        "oncologist's clearance, as in oncology massage practice (Society for Oncology Massage; "
        "MacDonald, Medicine Hands): the source forbids massage while cancer is present, and "
        "only a physician can say that it no longer is. A malignancy in remission or resolved "
        "is taken as a history of cancer.",
        _i("C00", "C97", "malignant neoplasms (WHO block C00–C97)", systems=_WHO),
        _i("C00", "C96", "malignant neoplasms, ICD-10-CM C00–C96 with C4A, C7A and C7B",
           systems=_CM),
        _i("D00", "D09", "carcinoma in situ: not invasive, but a cancer under treatment or "
           "surveillance; the oncologist decides", tier=RC),
        _i("D37", "D44", "neoplasms of uncertain behaviour: the pathologist cannot yet say "
           "whether they are malignant", tier=RC),
        _i("D45", "D47", "polycythaemia vera, myelodysplastic syndromes and other myeloid "
           "neoplasms, which ICD-O-3 codes as malignant"),
        _i("D48", reason="neoplasm of uncertain behaviour of other sites", tier=RC),
        _i("D49", reason="neoplasm of unspecified behaviour (ICD-10-CM)", tier=RC, systems=_CM),
        _i("Z85", reason="personal history of malignant neoplasm: the source forbids massage "
           "while cancer is present; whether it is needs the oncologist", tier=RC),
        _i("Z51.0", reason="radiotherapy session: cancer under treatment", systems=_WHO),
        _i("Z51.1", reason="chemotherapy session for neoplasm: cancer under treatment",
           systems=_WHO),
        _i("Z51.0", reason="encounter for antineoplastic radiation therapy", systems=_CM),
        _i("Z51.1", reason="encounter for antineoplastic chemotherapy and immunotherapy",
           systems=_CM),
        _i("Z08", reason="follow-up examination after treatment for malignant neoplasm",
           tier=RC),
        tier=X, history_tier=RC),
    _vs(Concept.THROMBOSIS_TENDENCY, "Thrombosis, embolism and thrombophilia",
        '"with a tendency to thrombosis" — ' + _CONV + "a current or past venous or arterial "
        "thrombosis or embolism, and thrombophilia. A past thrombosis is the strongest risk "
        "factor for the next one, so an inactive or resolved thrombosis counts as its history "
        "code does (I82.4 inactive as Z86.718).",
        _i("I26", reason="pulmonary embolism"),
        _i("I74", reason="arterial embolism and thrombosis"),
        _i("I80", "I82", "phlebitis, thrombophlebitis, portal vein thrombosis and other venous "
           "embolism and thrombosis"),
        _i("I67.6", reason="nonpyogenic thrombosis of the intracranial venous system"),
        _i("G08", reason="intracranial and intraspinal phlebitis and thrombophlebitis"),
        _i("I63", reason="cerebral infarction, thrombotic or embolic: a physician weighs the "
           "cause", tier=RC),
        _i("D68.5", "D68.6", "primary and other thrombophilia"),
        _i("D45", reason="polycythaemia vera, a thrombosis-prone myeloproliferative neoplasm"),
        _i("O22.3", reason="deep phlebothrombosis in pregnancy"),
        _i("O22.5", reason="cerebral venous thrombosis in pregnancy"),
        _i("O87.1", reason="deep phlebothrombosis in the puerperium"),
        _i("O87.3", reason="cerebral venous thrombosis in the puerperium"),
        _i("O88.2", reason="obstetric blood-clot embolism"),
        _i("Z86.71", "Z86.72", "personal history of venous thrombosis, embolism and "
           "thrombophlebitis", systems=_CM),
        _i("Z86.73", reason="personal history of TIA and cerebral infarction without residual "
           "deficits", tier=RC, systems=_CM),
        _i("Z86.7", reason="personal history of diseases of the circulatory system, which in "
           "WHO ICD-10 includes a past thrombosis: a physician says which", tier=RC,
           systems=_WHO),
        tier=X, history_tier=X),
    _vs(Concept.BLOOD_DISEASE, "Diseases of the blood and blood-forming organs",
        '"with a blood disease" — ' + _CONV + "diseases of the blood D50–D77 and myeloid "
        "neoplasms D45–D47. Coagulation defects, purpura, aplastic anaemia and agranulocytosis "
        "contraindicate (bleeding, bruising, infection); nutritional and other anaemias need "
        "a physician's clearance; acute blood loss and a sickle-cell crisis defer. The "
        "immune-mechanism disorders D80–D89 and ICD-10-CM D78 (intraoperative splenic "
        "complications) are not blood diseases.",
        _i("D50", "D53", "nutritional anaemias (iron, B12, folate): a physician confirms the "
           "haemoglobin", tier=RC),
        _i("D55", "D59", "haemolytic anaemias", tier=RC),
        _i("D57.0", reason="sickle-cell disease with crisis", tier=D),
        _i("D60", "D61", "aplastic anaemias: bleeding and infection risk"),
        _i("D62", reason="acute posthaemorrhagic anaemia", tier=D),
        _i("D63", "D64", "anaemia in chronic disease and other anaemias", tier=RC),
        _i("D65", "D69", "coagulation defects, purpura and other haemorrhagic conditions"),
        _i("D70", reason="agranulocytosis and neutropenia"),
        _i("D71", "D77", "other diseases of the blood, white cells and spleen", tier=RC),
        _i("D45", "D47", "myeloid neoplasms"),
        tier=X),
    _vs(Concept.HEART_DYSFUNCTION, "Heart disease",
        '"in case of disturbances in the functioning of the heart" — ' + _CONV + "acute and "
        "decompensated heart disease contraindicates (acute coronary syndromes, heart "
        "failure, myocarditis, endocarditis, pericarditis, cardiomyopathy, high-degree heart "
        "block, cardiogenic shock); stable, compensated disease needs the cardiologist's "
        "clearance (stable angina, chronic ischaemic heart disease, valve disease, rhythm and "
        "conduction disorders such as first-degree AV block or bundle-branch block).",
        _i("I01", reason="rheumatic fever with heart involvement"),
        _i("I05", "I09", "chronic rheumatic heart disease", tier=RC),
        _i("I20", reason="angina pectoris, stable forms", tier=RC),
        _i("I20.0", reason="unstable angina"),
        _i("I21", "I24", "acute myocardial infarction, its complications and other acute "
           "ischaemic heart disease"),
        _i("I25", reason="chronic ischaemic heart disease", tier=RC),
        _i("I27", reason="pulmonary heart disease and pulmonary hypertension"),
        _i("I30", "I52", "other forms of heart disease"),
        _i("I31", reason="other diseases of pericardium", tier=RC),
        _i("I34", "I39", "non-rheumatic valve disorders", tier=RC),
        _i("I44", "I45", "conduction disorders", tier=RC),
        _i("I44.1", "I44.2", "second-degree and complete atrioventricular block"),
        _i("I47", "I49", "paroxysmal tachycardia, atrial fibrillation and other arrhythmias",
           tier=RC),
        _i("I51", "I52", "complications and ill-defined descriptions of heart disease",
           tier=RC),
        _i("I5A", reason="non-ischaemic myocardial injury (ICD-10-CM)", systems=_CM),
        _i("I11.0", reason="hypertensive heart disease with heart failure"),
        _i("I13.0", reason="hypertensive heart and renal disease with heart failure",
           systems=_WHO),
        _i("I13.2", reason="hypertensive heart and renal disease with heart and renal failure",
           systems=_WHO),
        _i("I13.0", reason="hypertensive heart and chronic kidney disease with heart failure",
           systems=_CM),
        _i("I13.2", reason="hypertensive heart and chronic kidney disease with heart failure "
           "and end-stage renal disease", systems=_CM),
        _i("R57.0", reason="cardiogenic shock"),
        _i("Q20", "Q24", "congenital malformations of the heart", tier=RC),
        _i("Z95.0", reason="cardiac pacemaker in place: a conduction disorder is being "
           "treated", tier=RC),
        tier=X),
    _vs(Concept.OSTEOMYELITIS, "Osteomyelitis",
        '"with osteomyelitis or bone tuberculosis" — ' + _CONV + "osteomyelitis (M86) and "
        "osteomyelitis of vertebra (M46.2).",
        _i("M86", reason="osteomyelitis"),
        _i("M46.2", reason="osteomyelitis of vertebra"),
        tier=X),
    _vs(Concept.BONE_TUBERCULOSIS, "Tuberculosis of bones and joints",
        '"with osteomyelitis or bone tuberculosis" — ' + _CONV + "A18.0 in both systems "
        "(ICD-10-CM A18.01 tuberculosis of spine); WHO asterisk codes M49.0 (tuberculosis of "
        "spine), M90.0 (tuberculosis of bone) and M01.1 (tuberculous arthritis), absent from "
        "ICD-10-CM.",
        _i("A18.0", reason="tuberculosis of bones and joints"),
        _i("M49.0", reason="tuberculosis of spine (asterisk code)", systems=_WHO),
        _i("M90.0", reason="tuberculosis of bone (asterisk code)", systems=_WHO),
        _i("M01.1", reason="tuberculous arthritis (asterisk code)", systems=_WHO),
        tier=X),
    _vs(Concept.PSYCHIATRIC_DISORDER, "Mental and behavioural disorders",
        '"Psychological disorders or diseases." — ' + _CONV + "psychoses, mania, severe "
        "depression and unspecified mental disorder contraindicate (the patient may not be "
        "able to consent to or tolerate the procedure); delirium, acute intoxication or "
        "withdrawal and acute stress reaction defer; dementia, substance use, non-psychotic "
        "mood, anxiety, sleep, eating, sexual and personality disorders need a physician's "
        "clearance. Tobacco dependence (F17), intellectual disability (F70–F79) and "
        "developmental and childhood-onset disorders (F80–F98, ICD-10-CM QA0) do not bear on "
        "massage.",
        _i("F00", "F09", "organic mental disorders, dementia included", tier=RC),
        _i("F05", reason="delirium", tier=D),
        _i("F10", "F19", "mental and behavioural disorders due to psychoactive substances",
           tier=RC),
        *_ACUTE_SUBSTANCE,
        *_PSYCHOTIC_SUBSTANCE,
        *_CM_SUBSTANCE,
        _x("F17", reason="tobacco dependence does not bear on massage"),
        _i("F20", "F29", "schizophrenia, schizotypal, delusional and other psychotic "
           "disorders"),
        _i("F30", "F31", "manic episode and bipolar affective disorder"),
        _i("F32", "F39", "depressive and other mood disorders", tier=RC),
        _i("F32.2", "F32.3", "severe depressive episode"),
        _i("F33.2", "F33.3", "recurrent depression, current episode severe"),
        _i("F40", "F48", "anxiety, stress-related, dissociative and somatoform disorders",
           tier=RC),
        _i("F43.0", reason="acute stress reaction", tier=D),
        _i("F50", "F59", "behavioural syndromes with physiological disturbances: eating, "
           "sleep and sexual disorders", tier=RC),
        _i("F60", "F69", "disorders of adult personality and behaviour", tier=RC),
        _i("F99", reason="mental disorder not otherwise specified: severity unknown"),
        tier=X),
    _vs(Concept.VARICOSE_VEINS, "Varicose veins",
        '"Phlebeurysm." — ' + _CONV + "varicose veins of the lower extremities (I83, in "
        "pregnancy O22.0) are local to the legs; oesophageal and other varices (I85, I86) are "
        "not under the massaged skin but signal portal or pelvic venous hypertension, so they "
        "need a physician's clearance. Haemorrhoids are excluded: WHO moved them from I84 to "
        "K64 and ICD-10-CM has no I84.",
        _i("I83", reason="varicose veins of lower extremities", site="legs"),
        _i("O22.0", reason="varicose veins of lower extremity in pregnancy", site="legs"),
        _i("I85", "I86", "oesophageal varices and varicose veins of other sites", tier=RC),
        tier=X),
    _vs(Concept.PURULENT_SKIN_RASH, "Inflammatory or purulent skin rashes",
        '"in the presence of inflammatory or purulent rashes on the skin" — ' + _CONV
        + "pyogenic skin infections (L00–L03: impetigo, abscess, furuncle, cellulitis; L08 "
        "incl. pyoderma L08.0), hidradenitis suppurativa (L73.2), pyoderma gangrenosum (L88), "
        "dermatitis and eczema (L20–L30) and rash and other nonspecific skin eruption (R21).",
        _i("L00", "L03", "pyogenic skin infections"),
        _i("L08", reason="other local infections of skin, pyoderma included"),
        _i("L20", "L30", "dermatitis and eczema"),
        _i("L73.2", reason="hidradenitis suppurativa"),
        _i("L88", reason="pyoderma gangrenosum"),
        _i("R21", reason="rash and other nonspecific skin eruption"),
        tier=D),
    _vs(Concept.SKIN_PATHOLOGY, "Diseases of the skin",
        '"Pathologies of the skin." — ' + _CONV + "chapter L plus skin infections and "
        "infestations classed elsewhere defer; disorders of the skin appendages (hair, nails, "
        "acne, rosacea, sweat), pigmentation disorders and scars need clearance only.",
        _i("L00", "L99", "diseases of the skin and subcutaneous tissue"),
        _i("L60", "L75", "disorders of skin appendages: hair, nails, acne, rosacea, sweat "
           "glands", tier=RC),
        _i("L73.2", reason="hidradenitis suppurativa"),
        _i("L80", "L81", "vitiligo and other pigmentation disorders", tier=RC),
        _i("L90", "L91", "atrophic and hypertrophic disorders of skin (scars, keloid)",
           tier=RC),
        _i("R21", reason="rash and other nonspecific skin eruption"),
        _i("B00.1", reason="herpesviral vesicular dermatitis"),
        _i("B02", reason="zoster"),
        _i("B07", reason="viral warts", tier=RC),
        _i("B08.1", reason="molluscum contagiosum"),
        _i("B35", "B36", "dermatophytosis and other superficial mycoses"),
        _i("B85", "B86", "pediculosis and scabies"),
        tier=D),
    _vs(Concept.URTICARIA_OEDEMA, "Urticaria, angioedema and oedema",
        '"Swelling or urticaria." — ' + _CONV + "urticaria (L50, solar L56.3), angioneurotic "
        "oedema (T78.3), hereditary angioedema (D84.1) and oedema NEC (R60); lymphoedema "
        "(I89.0) is excluded because it is treated by lymphatic massage.",
        _i("L50", reason="urticaria"),
        _i("L56.3", reason="solar urticaria"),
        _i("T78.3", reason="angioneurotic oedema"),
        _i("D84.1", reason="defects in the complement system (hereditary angioedema)"),
        _i("R60", reason="oedema, not elsewhere classified"),
        tier=D),
    _vs(Concept.INFECTIOUS_DISEASE, "Infectious and parasitic diseases",
        '"Infectious diseases." — ' + _CONV + "active infections defer: A00–B89 and B99, acute "
        "respiratory infections, influenza and pneumonia (J00–J22, COPD with acute lower "
        "respiratory infection J44.0), lung abscess and pyothorax (J85–J86), bacterial "
        "meningitis and intracranial or intraspinal abscess (G00–G02, G06–G07), infection "
        "after a procedure (T81.4), severe sepsis (ICD-10-CM R65.2) and COVID-19 (U07.1, WHO "
        "U07.2). Chronic viral hepatitis and HIV disease need clearance. Sequelae (B90–B94) "
        "and agent codes used as supplementary codes (B95–B98) are not active infections.",
        _i("A00", "B89", "infectious and parasitic diseases"),
        _i("B18", reason="chronic viral hepatitis", tier=RC),
        _i("B20", "B24", "HIV disease", tier=RC, systems=_WHO),
        _i("B20", reason="HIV disease", tier=RC, systems=_CM),
        _i("B99", reason="other and unspecified infectious diseases"),
        _i("J00", "J22", "acute respiratory infections, influenza and pneumonia"),
        _i("J44.0", reason="COPD with acute lower respiratory infection"),
        _i("J85", "J86", "abscess of lung and mediastinum, pyothorax"),
        _i("G00", "G02", "bacterial and other infectious meningitis"),
        _i("G06", "G07", "intracranial and intraspinal abscess and granuloma"),
        _i("T81.4", reason="infection following a procedure"),
        _i("R65.2", reason="severe sepsis", systems=_CM),
        _i("U07.1", reason="COVID-19, virus identified"),
        _i("U07.2", reason="COVID-19, virus not identified", systems=_WHO),
        tier=D),
    _vs(Concept.DIGESTIVE_DISORDER, "Diseases of the digestive tract",
        '"It is forbidden to massage during periods of increased body temperature, fever, or '
        'disturbances in the digestive tract." — ' + _CONV + "acute disturbances defer: ulcers, "
        "appendicitis, obstruction, peritonitis, acute pancreatitis, bleeding, intestinal "
        "infections and acute abdominal symptoms. Chronic, stable disease needs clearance: "
        "reflux, chronic gastritis, inflammatory bowel disease in remission, diverticular "
        "disease, irritable bowel syndrome, constipation, liver and gallbladder disease, "
        "chronic pancreatitis, malabsorption (liver, biliary and pancreatic disease count, as "
        "in the Russian 'ЖКТ'). Oral and dental diseases (K00–K14) and abdominal-wall hernias "
        "(K40–K46) are not disturbances of the digestive tract.",
        _i("K20", "K38", "diseases of oesophagus, stomach, duodenum and appendix"),
        _i("K21", reason="gastro-oesophageal reflux disease", tier=RC),
        _i("K29.3", "K29.5", "chronic gastritis", systems=_WHO, tier=RC),
        _i("K30", "K31", "functional dyspepsia and other diseases of the stomach", tier=RC),
        _i("K50", "K95", "diseases of intestines, peritoneum, liver, biliary tract and "
           "pancreas"),
        _i("K50", "K52", "non-infective enteritis and colitis (Crohn's disease, ulcerative "
           "colitis)", tier=RC),
        _i("K57", reason="diverticular disease of intestine", tier=RC),
        _i("K58", "K59", "irritable bowel syndrome and other functional intestinal disorders",
           tier=RC),
        _i("K70", "K77", "diseases of liver", tier=RC),
        _i("K72", reason="hepatic failure"),
        _i("K80", reason="cholelithiasis", tier=RC),
        _i("K86", reason="other diseases of pancreas, chronic pancreatitis included", tier=RC),
        _i("K90", reason="intestinal malabsorption", tier=RC),
        _i("A00", "A09", "intestinal infectious diseases"),
        _i("R10", "R19", "symptoms involving the digestive system and abdomen"),
        tier=D),
    _vs(Concept.HYPERTENSION, "Hypertensive diseases",
        '"High blood pressure."; "with hypertension of the second or third stage" — ' + _CONV
        + "hypertensive diseases I10–I15, ICD-10-CM resistant hypertension (I1A) and "
        "hypertension in pregnancy (O10–O11, O13–O16; O12 has no hypertension) need a physician "
        "to confirm the stage; an ICD-10-CM hypertensive crisis (I16) defers.",
        _i("I10", "I15", "hypertensive diseases"),
        _i("I1A", reason="resistant hypertension (ICD-10-CM)", systems=_CM),
        _i("I16", reason="hypertensive crisis (ICD-10-CM)", tier=D, systems=_CM),
        _i("O10", "O11", "pre-existing hypertension in pregnancy"),
        _i("O13", "O16", "gestational hypertension and pre-eclampsia"),
        tier=RC),
    _vs(Concept.HYPERTENSION_ORGAN_DAMAGE, "Hypertension with target-organ damage",
        '"with hypertension of the second or third stage" — ' + _CONV + "in the Russian "
        "staging stage II means target-organ damage and stage III associated clinical "
        "conditions; ICD-10 records these as hypertensive heart and/or kidney disease "
        "(I11–I13), hypertensive encephalopathy (I67.4) and, in ICD-10-CM, hypertensive "
        "emergency (I16.1). Stage is otherwise a clinical finding, not a code.",
        _i("I11", "I13", "hypertensive heart and/or kidney disease"),
        _i("I67.4", reason="hypertensive encephalopathy"),
        _i("I16.1", reason="hypertensive emergency (ICD-10-CM)", systems=_CM),
        tier=X),
    _vs(Concept.PREGNANCY, "Pregnancy and puerperium",
        '"during pregnancy"; "The period of bearing a baby." — ' + _CONV + "chapter O up to "
        "the puerperium (O00–O92) and maternal diseases complicating pregnancy (O98–O99; "
        "O9A in ICD-10-CM), without sequelae and late obstetric deaths (O94–O97); "
        "pregnancy confirmed (WHO Z32.1, ICD-10-CM Z32.01), pregnant state and antenatal "
        "supervision and screening (Z33–Z36; ICD-10-CM weeks of gestation Z3A).",
        _i("O00", "O92", "pregnancy, childbirth and the puerperium"),
        _i("O98", "O99", "maternal diseases complicating pregnancy"),
        _i("O9A", reason="maternal malignancy, injury and abuse complicating pregnancy",
           systems=_CM),
        _i("Z32.1", reason="pregnancy confirmed", systems=_WHO),
        _i("Z32.01", reason="encounter for pregnancy test, result positive", systems=_CM),
        _i("Z33", "Z36", "pregnant state, supervision of pregnancy, antenatal screening"),
        _i("Z3A", reason="weeks of gestation (ICD-10-CM)", systems=_CM),
        tier=D),
    _vs(Concept.FEVER, "Fever",
        '"It is forbidden to massage during periods of increased body temperature, fever" — '
        + _CONV + "fever of other and unknown origin (R50).",
        _i("R50", reason="fever of other and unknown origin"),
        tier=D),
    _vs(Concept.INFLAMMATORY_PROCESS, "Acute inflammatory processes",
        '"in the presence of an inflammatory process accompanied by high temperature" — '
        + _CONV + "acute inflammation relevant to back massage: pyogenic arthritis (M00), "
        "inflammatory spondylopathies incl. discitis (M46), osteomyelitis (M86), infective "
        "myositis (M60.0), necrotising fasciitis (M72.6), acute pyelonephritis (N10), renal "
        "and perinephric abscess (N15.1), cutaneous abscess and cellulitis (L02–L03), acute "
        "pericarditis, endocarditis and myocarditis (I30, I33, I40), meningitis, encephalitis "
        "and intracranial or intraspinal abscess (G00–G07), lung abscess and pyothorax "
        "(J85–J86), infection after a procedure (T81.4) and, in ICD-10-CM, systemic "
        "inflammatory response and severe sepsis (R65.1–R65.2). Fever (R50) is kept separate "
        "so that the rules can require both.",
        _i("M00", reason="pyogenic arthritis"),
        _i("M46", reason="other inflammatory spondylopathies, discitis included"),
        _i("M86", reason="osteomyelitis"),
        _i("M60.0", reason="infective myositis"),
        _i("M72.6", reason="necrotising fasciitis"),
        _i("N10", reason="acute pyelonephritis"),
        _i("N15.1", reason="renal and perinephric abscess"),
        _i("L02", "L03", "cutaneous abscess, furuncle, carbuncle and cellulitis"),
        _i("I30", reason="acute pericarditis"),
        _i("I33", reason="acute and subacute endocarditis"),
        _i("I40", reason="acute myocarditis"),
        _i("G00", "G07", "inflammatory diseases of the central nervous system"),
        _i("J85", "J86", "abscess of lung and mediastinum, pyothorax"),
        _i("T81.4", reason="infection following a procedure"),
        _i("R65.1", "R65.2", "systemic inflammatory response syndrome and severe sepsis",
           systems=_CM),
        tier=D),
    _vs(Concept.CHRONIC_EXACERBATION, "Exacerbation of a chronic disease, by its code",
        '"Exacerbation of chronic diseases." — ' + _CONV + "codes whose meaning is an "
        "exacerbation, while the condition is active (active, recurrence or relapse), not only "
        "when its status says recurrence: COPD with acute exacerbation "
        "(J44.1), status asthmaticus (WHO J46), asthma with exacerbation or status asthmaticus "
        "(ICD-10-CM J45.x1, J45.x2, J45.901, J45.902), bronchiectasis with exacerbation "
        "(ICD-10-CM J47.1) and myasthenia gravis with exacerbation (ICD-10-CM G70.01). Found by "
        "the audit of every code whose title names an exacerbation.",
        _i("J44.1", reason="COPD with acute exacerbation"),
        _i("J46", reason="status asthmaticus", systems=_WHO),
        *(_i(f"J45.{kind}{step}", reason="asthma with exacerbation or status asthmaticus",
             systems=_CM) for kind in "2345" for step in "12"),
        _i("J45.901", "J45.902", "unspecified asthma with exacerbation or status asthmaticus",
           systems=_CM),
        _i("J47.1", reason="bronchiectasis with acute exacerbation", systems=_CM),
        _i("G70.01", reason="myasthenia gravis with exacerbation", systems=_CM),
        tier=D),
    _vs(Concept.ANTICOAGULANT_THERAPY, "Long-term anticoagulant therapy",
        '"with a tendency to thrombosis" — ' + _CONV + "normally derived from medications; "
        "codes recording current anticoagulant use: ICD-10-CM Z79.01 and D68.32 (bleeding "
        "due to extrinsic anticoagulants), WHO Z92.1.",
        _i("Z79.01", reason="long-term (current) use of anticoagulants", systems=_CM),
        _i("D68.32", reason="haemorrhagic disorder due to extrinsic circulating "
           "anticoagulants", systems=_CM),
        _i("Z92.1", reason="personal history of long-term (current) use of anticoagulants",
           systems=_WHO),
        tier=X),
    _vs(Concept.ANTIPLATELET_THERAPY, "Long-term antiplatelet therapy",
        '"with a tendency to thrombosis" — ' + _CONV + "normally derived from medications "
        "(ATC B01AC); the code recording current antiplatelet use: ICD-10-CM Z79.02.",
        _i("Z79.02", reason="long-term (current) use of antithrombotics and antiplatelets",
           systems=_CM),
        tier=X),
    _vs(Concept.HONEY_ALLERGY, "Allergy relevant to honey massage",
        '"When performing a massage, honey is used as a softening and nourishing agent." — '
        + _CONV + "normally derived from allergies; ICD-10 has no honey-allergy code, so the "
        "ICD-10-CM bee allergy status (Z91.030) is taken conservatively; acute sting toxicity "
        "(T63.4) is not an allergy status and is excluded.",
        _i("Z91.030", reason="bee allergy status", systems=_CM),
        tier=X),
    _vs(Concept.DISC_HERNIA, "Intervertebral disc hernia (indication)",
        '"Schmorl\'s hernia forms gradually" — ' + _CONV + "displaced or herniated discs: "
        "cervical M50.0–M50.2, thoracic/lumbar M51.0–M51.2, Schmorl's nodes M51.4, and "
        "traumatic disc rupture (S13.0, S23.0, S33.0). An indication, not a contraindication; "
        "a hernia known only by its code still needs its hernia record (phase, region).",
        _i("M50.0", "M50.2", "cervical disc disorders with myelopathy, radiculopathy or "
           "displacement"),
        _i("M51.0", "M51.2", "thoracic, thoracolumbar and lumbosacral disc disorders with "
           "myelopathy, radiculopathy or displacement"),
        _i("M51.4", reason="Schmorl's nodes"),
        _i("S13.0", reason="traumatic rupture of cervical intervertebral disc"),
        _i("S23.0", reason="traumatic rupture of thoracic intervertebral disc"),
        _i("S33.0", reason="traumatic rupture of lumbar intervertebral disc"),
        tier=A),
)  # fmt: skip
"""Built-in value-set definitions implementing the clinical source, one per concept."""


def _chapter(start: str, end: str, reason: str, systems: frozenset[CodeSystem] = BOTH_SYSTEMS
             ) -> CodeRange:  # fmt: skip
    return CodeRange(start, end, systems, reason=reason)


#: Codes reviewed and found not to bear on massage for a disc hernia, where no concept above
#: holds them: every valid code of both systems is in a concept or in one of these lines.
REVIEWED: tuple[CodeRange, ...] = (
    _chapter("A00", "B99", "infectious diseases not above: sequelae (B90–B94) and agent codes "
             "(B95–B98) are not active infections"),
    _chapter("C00", "D49", "benign neoplasms (D10–D36, ICD-10-CM D3A) do not bear on massage"),
    _chapter("D50", "D89", "immune-mechanism disorders (D80–D89) and ICD-10-CM D78 "
             "(intraoperative splenic complications) are not blood diseases"),
    _chapter("E00", "E90", "endocrine, nutritional and metabolic diseases: read through "
             "vital signs and the physician; diabetes does not forbid massage", _WHO),
    _chapter("E00", "E89", "endocrine, nutritional and metabolic diseases", _CM),
    _chapter("F00", "F99", "mental disorders not above: tobacco dependence, intellectual "
             "disability and developmental disorders"),
    _chapter("G00", "G99", "diseases of the nervous system not above: neuropathies, "
             "radiculopathies and pain syndromes are what massage treats"),
    _chapter("H00", "H95", "diseases of the eye and ear"),
    _chapter("I00", "I99", "circulatory diseases not above: cerebrovascular sequelae, arterial "
             "disease, lymphatic disorders (lymphoedema is treated by lymphatic massage), "
             "hypotension"),
    _chapter("J00", "J99", "respiratory diseases not above: chronic, stable conditions"),
    _chapter("K00", "K95", "digestive codes not above: oral and dental diseases and hernias "
             "of the abdominal wall"),
    _chapter("L00", "L99", "skin codes are all in skin pathology"),
    _chapter("M00", "M99", "musculoskeletal diseases not above: what massage treats"),
    _chapter("N00", "N99", "genitourinary diseases: chronic kidney disease is read through "
             "hypertension and the physician"),
    _chapter("O00", "O9A", "obstetric codes not above: sequelae and late obstetric deaths "
             "(O94–O97)"),
    _chapter("P00", "P96", "perinatal conditions"),
    _chapter("Q00", "QA0", "congenital malformations not above; ICD-10-CM QA0 "
             "neurodevelopmental disorders related to genetic variants"),
    _chapter("R00", "R99", "symptoms and signs not above: vital signs are read from the visit"),
    _chapter("S00", "T98", "injuries and poisonings not above: acute injuries at the site "
             "are the therapist's examination", _WHO),
    _chapter("S00", "T88", "injuries and poisonings not above", _CM),
    _chapter("U00", "U85", "codes for special purposes not above", _WHO),
    _chapter("U00", "U09", "codes for special purposes not above (post COVID-19 condition)",
             _CM),
    _chapter("V00", "Y99", "external causes of morbidity"),
    _chapter("Z00", "Z99", "factors influencing health status not above"),
)  # fmt: skip
