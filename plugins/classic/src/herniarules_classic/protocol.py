"""The session protocols of classic massage and of classic massage with traction.

Step texts quote the clinical source ("Classic massage"); the traction step is the one
addition, and says where the source is silent.
"""

from __future__ import annotations

import attrs

from herniarules import Protocol, ProtocolFacts, ProtocolStep
from herniarules.i18n.markers import N_
from herniarules_classic.parameters import ClassicParameters

__all__ = ["MAIN_MOVES", "classic_protocol", "traction_protocol"]

#: The seven main moves, verbatim from the source's numbered list.
MAIN_MOVES: tuple[str, ...] = (
    N_(
        "rubbing from the buttocks to the back, stroking the broad muscles of the back towards "
        "the buttocks and back"
    ),
    N_("light squeezes in the buttocks and lumbar region with the edge of the palm"),
    N_("point rubbing with fingers along the spine and then stroking"),
    N_("stroking with the outer edge of the palm along the spine and across the spinal column"),
    N_("straight and spiral rubbing up and down along the spine"),
    N_("rubbing across and along the sacrum, produced by the edge of the palm"),
    N_("kneading the buttocks with a clenched fist"),
)

_LUMBAR_REGIONS = frozenset({"lumbar", "lumbosacral"})
#: The other hernia regions, as the note on them names them.
REGION_WORDS: tuple[str, ...] = (N_("cervical"), N_("thoracic"))


def _steps(parameters: ClassicParameters) -> tuple[ProtocolStep, ...]:
    pressure = parameters.pressure
    warm_up = (
        ProtocolStep(
            N_("warm-up"),
            N_(
                "Warm up the surface of the skin: stroking and light rubbing movements with the "
                "hands, without force."
            ),
            pressure=pressure,
        ),
        ProtocolStep(
            N_("stroking the latissimus and longus dorsi"),
            N_(
                "Begin the staged warm-up of the muscles by stroking the latissimus and longus "
                "dorsi muscles."
            ),
            pressure=pressure,
        ),
        ProtocolStep(
            N_("kneading the gluteal muscles"),
            N_("Next, knead the gluteal muscles."),
            pressure=pressure,
        ),
        ProtocolStep(
            N_("back muscles again"),
            N_("Then work the back muscles again, until all the muscles are warmed up."),
            pressure=pressure,
        ),
    )
    main = tuple(
        ProtocolStep(
            N_("main move {number}").format(number=number),
            move[0].upper() + move[1:] + ".",
            repetitions=parameters.repetitions,
            pressure=pressure,
        )
        for number, move in enumerate(MAIN_MOVES, 1)
    )
    finish = (
        ProtocolStep(
            N_("pinching and shaking"),
            N_(
                "Pinch and shake the soft tissues around the spine to work on the gluteal and "
                "lumbosacral areas."
            ),
            repetitions=parameters.repetitions,
            pressure=pressure,
        ),
    )
    return (*warm_up, *main, *finish)


def _notes(facts: ProtocolFacts, parameters: ClassicParameters) -> tuple[str, ...]:
    notes = [
        N_("Only a highly qualified specialist performs the massage."),
        N_(
            "Massage does not eliminate the herniated disc itself; it eases pain, relaxes the "
            "back muscles and helps prevent further destructive development."
        ),
        N_(
            "After the course a break of {low}-{high} days is necessary; a repeated course is "
            "prescribed by the attending physician."
        ).format(low=parameters.break_days_min, high=parameters.break_days_max),
    ]
    if facts.hernia_regions - _LUMBAR_REGIONS:
        # The source describes this sequence for a lumbar hernia and refers cervical hernias
        # to a separate article, so the therapist must know the protocol was not written for
        # the patient's other regions.
        regions = ", ".join(sorted(facts.hernia_regions - _LUMBAR_REGIONS))
        notes.append(
            N_(
                "The source describes this sequence for a lumbar hernia; this patient also has a "
                "{regions} hernia, for which the attending physician adapts the protocol."
            ).format(regions=regions)
        )
    return tuple(notes)


_AVOID = (
    N_("pressure or force during any manipulation"),
    N_("sharp or jerky movements that could aggravate the hernia"),
)


def classic_protocol(facts: ProtocolFacts, parameters: ClassicParameters) -> Protocol:
    """Return the classic massage protocol for the patient described by ``facts``."""
    return Protocol(
        technique="classic",
        steps=_steps(parameters),
        session_minutes=(parameters.session_minutes_min, parameters.session_minutes_max),
        course_sessions=(parameters.course_sessions_min, parameters.course_sessions_max),
        pressure=parameters.pressure,
        avoid=_AVOID,
        notes=_notes(facts, parameters),
        parameters=attrs.asdict(parameters),
    )


TRACTION_STEP = ProtocolStep(
    N_("gentle traction"),
    N_(
        "After the main massage, gently stretch the lumbar spine along its axis (the patient "
        "lying prone, the therapist's hands on the pelvis and lower ribs), slowly and without "
        "force, stopping at any pain or tingling. The source names the technique but does not "
        "describe the manoeuvre; this is the common gentle manual traction."
    ),
    repetitions="3-4",
    pressure=N_("none: slow, gentle stretching without force or jerks"),
)


def traction_protocol(facts: ProtocolFacts, parameters: ClassicParameters) -> Protocol:
    """Return the classic protocol with a gentle traction step after the main moves."""
    classic = classic_protocol(facts, parameters)
    steps = classic.steps
    # Traction follows the main massage (muscles warmed and relaxed) and precedes the
    # finishing pinching and shaking.
    steps = (
        *steps[:-1],
        attrs.evolve(TRACTION_STEP, repetitions=parameters.repetitions),
        steps[-1],
    )
    return attrs.evolve(
        classic,
        technique="traction",
        steps=steps,
        avoid=(*classic.avoid, N_("traction with force or jerks, or continued through pain")),
    )
