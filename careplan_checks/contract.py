"""The extract contract, version 1: every table and column an extract may hold.

This module is the single place where a column is described. The reader (which
headers a file must have), the loader (how a text cell becomes a typed value and
why a row is rejected), the database schema, the data-quality suite and the
contract documentation (``docs/contract.md``) are all generated from it, so a
column can never be described twice and drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .codes import all_codes

CONTRACT_VERSION = 1

Kind = Literal["id", "text", "date", "code", "int", "flag", "district", "upn"]

#: DuckDB type of each kind of column once loaded.
SQL_TYPES: dict[Kind, str] = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "date": "DATE",
    "code": "VARCHAR",
    "int": "INTEGER",
    "flag": "VARCHAR",
    "district": "VARCHAR",
    "upn": "VARCHAR",
}

#: Plain-English description of each kind, used in docs and rejection reasons.
KIND_HELP: dict[Kind, str] = {
    "id": "identifier (pseudonymised), at most {max_length} characters",
    "text": "free text",
    "date": "date, dd/mm/yyyy or yyyy-mm-dd",
    "code": "one of the listed codes (case-insensitive)",
    "int": "whole number",
    "flag": "Y or N",
    "district": "postcode district or sector only (e.g. EG19 or EG19 7), never a full postcode",
    "upn": "UPN status only: UN1-UN5, or KNOWN when the child has a UPN",
}

@dataclass(frozen=True)
class Column:
    """One column of one table."""

    name: str
    kind: Kind
    required: bool = False
    codes: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    description: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Table:
    """One table of the extract, recognised by file name or by its header set."""

    name: str
    group: Literal["ssda903", "supplement"]
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    #: (later, earlier) pairs: the later date must not be before the earlier one.
    date_order: tuple[tuple[str, str], ...] = ()
    description: str = ""
    aliases: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns whose header must be present (every contract column is expected,
        but only these must hold a value)."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _explained(codes: dict[str, str]) -> str:
    """A code column's description from its codes and what each means: "CODE meaning; CODE meaning"."""
    return "; ".join(f"{k} {v}" for k, v in codes.items())


def _child(**kw: object) -> Column:
    return Column("CHILD", "id", required=True, max_length=10,
                  description="Child's pseudonymised identifier", **kw)  # type: ignore[arg-type]


def _dob(required: bool = True) -> Column:
    return Column("DOB", "date", required=required, description="Date of birth")


def _flag01(name: str, description: str) -> Column:
    return Column(name, "code", codes=("0", "1"), description=description)


def _flag(name: str, description: str, required: bool = False) -> Column:
    return Column(name, "flag", required=required, description=description)


# SSDA903 code lists: the union over the supported collection years (``codes.py`` has each year's list
# and its source), so a code valid in any supported year still loads; a code valid in another year but
# not in the run's is a data-quality finding (``quality.validate(..., year=...)``).
SEX = all_codes("header", "SEX")
ETHNIC = all_codes("header", "ETHNIC")
RNE = all_codes("episodes", "RNE")
LS = all_codes("episodes", "LS")
CIN = all_codes("episodes", "CIN")
PLACE = all_codes("episodes", "PLACE")
PLACE_PROVIDER = all_codes("episodes", "PLACE_PROVIDER")
REC = all_codes("episodes", "REC")
REASON_PLACE_CHANGE = all_codes("episodes", "REASON_PLACE_CHANGE")
REVIEW_CODE = all_codes("reviews", "REVIEW_CODE")
SDQ_REASON = all_codes("oc2", "SDQ_REASON")
IN_TOUCH = all_codes("oc3", "IN_TOUCH")
ACTIV = all_codes("oc3", "ACTIV")
# S (no fixed abode) and X (in custody) only with suitability 2: S1 and X1 are not DfE codes.
ACCOM = all_codes("oc3", "ACCOM")
MISSING = all_codes("missing", "MISSING")
SW_REASON = all_codes("sw_episodes", "SW_REASON")
ROLES = _codes("SW IRO PA")
PLACEMENT_DECISION_HELP = {
    "PARENT_ASSESSED": "the assessment of the parent's suitability completed (CPPCR reg 17)",
    "PARENT_APPROVED": "the nominated officer approved the placement with the parent (reg 18)",
    "PARENT_PLACED_PENDING": "placed with the parent before the assessment was completed (reg 19)",
    "TEMPORARY_APPROVAL": "a connected person approved as a foster parent temporarily (reg 24)",
    "TEMPORARY_EXTENDED": "that temporary approval extended (reg 25)",
    "FOSTER_APPROVED": "the connected person approved as a foster parent (Fostering Services Regulations)",
    "OUT_OF_AREA_APPROVED": "the nominated officer approved a placement outside the area (reg 11(1)(a))",
    "DISTANT_APPROVED": "the director of children's services approved a placement at a distance (reg 11(1)(b))",
    "EDUCATION_APPROVED": "the nominated officer approved a placement that disrupts education (reg 10)",
    "END_REVIEWED": "the review that considered ending the placement (reg 14)",
    "END_IMMEDIATE_RISK": "ended without a review because of an immediate risk of significant harm (reg 14)",
}
PLACEMENT_DECISIONS = tuple(PLACEMENT_DECISION_HELP)
RECIPIENT_HELP = {
    "CHILD": "the child (reg 13(2)(a))",
    "PARENT": "the child's parent (b)",
    "CONTACT": "anyone allowed or ordered to have contact with the child (c), (d)",
    "PREVIOUS_CARER": "whoever was caring for the child immediately before (e)",
    "HEALTH_BODY": "the NHS body for the area where the child lives and, if different, where placed (f)",
    "GP": "the child's registered medical practitioner, and the one the child will be registered with (g)",
    "SCHOOL": "the school or education or training provider (h)",
    "IRO": "the independent reviewing officer (i)",
    "AREA_AUTHORITY": "the authority where the child is placed, for a placement out of area (13(4))",
}
RECIPIENTS = tuple(RECIPIENT_HELP)
ADVOCACY_HELP = {
    "IV_CONSIDERED": "whether to appoint an independent visitor considered",
    "IV_APPOINTED": "an independent visitor appointed",
    "IV_DECLINED": "the child objected to an independent visitor",
    "REPRESENTATION": "the child made, or wished to make, a representation or complaint",
    "ADVOCACY_OFFERED": "an advocate offered",
}
ADVOCACY_EVENTS = tuple(ADVOCACY_HELP)

TABLES: tuple[Table, ...] = (
    # --- SSDA903 tables, exactly as authorities produce them for the DfE return ---
    Table(
        "header", "ssda903",
        (
            _child(),
            Column("SEX", "code", required=True, codes=SEX,
                   description="Sex: 1/2 (to 2023-24) or M/F/U (from 2024-25)"),
            _dob(),
            Column("ETHNIC", "code", codes=ETHNIC, description="Ethnic origin"),
            Column("UPN", "upn", codes=_codes("UN1 UN2 UN3 UN4 UN5 KNOWN"),
                   description="UPN status (the UPN itself is never accepted)"),
            _flag01("MOTHER", "Child is a mother (1) or not (0)"),
            Column("MC_DOB", "date", description="Date of birth of the child's first child"),
        ),
        key=("CHILD",),
        description="One row per child looked after in the year.",
    ),
    Table(
        "episodes", "ssda903",
        (
            _child(),
            Column("DECOM", "date", required=True, description="Date the episode started"),
            Column("RNE", "code", required=True, codes=RNE, description="Reason for new episode"),
            Column("LS", "code", required=True, codes=LS, description="Legal status"),
            Column("CIN", "code", required=True, codes=CIN, description="Category of need"),
            Column("PLACE", "code", required=True, codes=PLACE, description="Placement type"),
            Column("PLACE_PROVIDER", "code", codes=PLACE_PROVIDER, description="Placement provider"),
            Column("DEC", "date", description="Date the episode ceased (empty while open)"),
            Column("REC", "code", codes=REC, description="Reason the episode ceased"),
            Column("REASON_PLACE_CHANGE", "code", codes=REASON_PLACE_CHANGE,
                   description="Reason for the placement change"),
            Column("HOME_POST", "district", description="Home postcode district"),
            Column("PL_POST", "district", description="Placement postcode district"),
            Column("URN", "text", description="Ofsted URN of the placement"),
        ),
        key=("CHILD", "DECOM"),
        date_order=(("DEC", "DECOM"),),
        description="One row per episode of care: a change of legal status or placement starts a new one.",
    ),
    Table(
        "reviews", "ssda903",
        (
            _child(),
            _dob(required=False),
            Column("REVIEW", "date", required=True, description="Date of the review"),
            Column("REVIEW_CODE", "code", codes=REVIEW_CODE, description="Child's participation"),
        ),
        key=("CHILD", "REVIEW"),
        description="One row per statutory review.",
    ),
    Table(
        "oc2", "ssda903",
        (
            _child(),
            _dob(required=False),
            Column("SDQ_SCORE", "int", minimum=0, maximum=40, description="SDQ total score"),
            Column("SDQ_REASON", "code", codes=SDQ_REASON, description="Reason no SDQ score"),
            _flag01("CONVICTED", "Convicted during the year"),
            _flag01("HEALTH_CHECK", "Health promotion (development) checks up to date: children under 5 at "
                                    "31 March only"),
            _flag01("IMMUNISATIONS", "Immunisations up to date"),
            _flag01("TEETH_CHECK", "Dental check in the year"),
            _flag01("HEALTH_ASSESSMENT", "Health assessment in the year"),
            _flag01("SUBSTANCE_MISUSE", "Identified substance misuse problem"),
            _flag01("INTERVENTION_RECEIVED", "Received an intervention for substance misuse"),
            _flag01("INTERVENTION_OFFERED", "Offered an intervention for substance misuse"),
        ),
        key=("CHILD",),
        description="Outcomes for children looked after continuously for 12 months at 31 March.",
    ),
    Table(
        "oc3", "ssda903",
        (
            _child(),
            _dob(required=False),
            Column("IN_TOUCH", "code", codes=IN_TOUCH, description="Authority in touch"),
            Column("ACTIV", "code", codes=ACTIV, description="Main activity"),
            Column("ACCOM", "code", codes=ACCOM, description="Accommodation and its suitability"),
        ),
        key=("CHILD",),
        description="Care leavers around their birthdays from 17 to 21.",
    ),
    Table(
        "missing", "ssda903",
        (
            _child(),
            _dob(required=False),
            Column("MISSING", "code", required=True, codes=MISSING,
                   description="M missing, A away without authorisation"),
            Column("MIS_START", "date", required=True, description="Start of the episode"),
            Column("MIS_END", "date", description="End of the episode (empty while missing)"),
        ),
        key=("CHILD", "MIS_START"),
        date_order=(("MIS_END", "MIS_START"),),
        description="Episodes of missing or away without authorisation.",
    ),
    Table(
        "uasc", "ssda903",
        (_child(), Column("SEX", "code", codes=SEX, description="Sex"), _dob(required=False),
         Column("DUC", "date", description="Date unaccompanied asylum-seeking status ceased")),
        key=("CHILD",),
        description="Unaccompanied asylum-seeking children.",
    ),
    Table(
        "ad1", "ssda903",
        (
            _child(), _dob(required=False),
            Column("DATE_INT", "date", description="Date of decision that the child should be placed for adoption"),
            Column("DATE_MATCH", "date", description="Date matched to adopters"),
            Column("FOSTER_CARE", "code", codes=("0", "1"), description="Adopted by foster carer"),
            Column("NB_ADOPTR", "text", description="Number of adopters"),
            Column("SEX_ADOPTR", "text", description="Sex of adopters"),
            Column("LS_ADOPTR", "text", description="Legal status of adopters"),
        ),
        key=("CHILD",),
        description="Adoption details.",
    ),
    Table(
        "placed_for_adoption", "ssda903",
        (
            _child(), _dob(required=False),
            Column("DATE_PLACED", "date", description="Date of decision the child should be placed for adoption"),
            Column("DATE_PLACED_CEASED", "date", description="Date that decision ceased"),
            Column("REASON_PLACED_CEASED", "text", description="Reason it ceased"),
        ),
        key=("CHILD", "DATE_PLACED"),
        date_order=(("DATE_PLACED_CEASED", "DATE_PLACED"),),
        description="Decisions that a child should be placed for adoption.",
    ),
    Table(
        "previous_permanence", "ssda903",
        (
            _child(), _dob(required=False),
            Column("PREV_PERM", "text", description="Previous permanence option"),
            Column("LA_PERM", "text", description="Authority that arranged it"),
            Column("DATE_PERM", "text", description="Date of the order (may be partial in 903 files)"),
        ),
        key=("CHILD",),
        description="Previous permanence before this period of care.",
    ),
    Table(
        "sw_episodes", "ssda903",
        (
            _child(),
            Column("SW_ID", "id", required=True, max_length=20, description="Social worker's pseudonymised identifier"),
            Column("SW_DECOM", "date", required=True, description="Start of the allocation"),
            Column("SW_DEC", "date", description="End of the allocation"),
            Column("SW_REASON", "code", codes=SW_REASON, description="Reason for the change"),
        ),
        key=("CHILD", "SW_DECOM"),
        date_order=(("SW_DEC", "SW_DECOM"),),
        description="Social worker episodes.",
    ),
    # --- Care-plan supplement: what the 903 return does not carry ---
    Table(
        "allocations", "supplement",
        (
            _child(),
            Column("ROLE", "code", required=True, codes=ROLES,
                   description="SW social worker, IRO, PA personal adviser"),
            Column("WORKER_ID", "id", required=True, max_length=20, description="Worker's pseudonymised identifier"),
            Column("TEAM", "text", description="Team name"),
            Column("START_DATE", "date", required=True, description="Allocation start"),
            Column("END_DATE", "date", description="Allocation end (empty while open)"),
        ),
        key=("CHILD", "ROLE", "START_DATE"),
        date_order=(("END_DATE", "START_DATE"),),
        description="Who is allocated to the child, in which role and team (SSD involvements).",
    ),
    Table(
        "visits", "supplement",
        (
            _child(),
            Column("VISIT_DATE", "date", required=True, description="Date of the visit"),
            _flag("SEEN", "Child seen", required=True),
            _flag("SEEN_ALONE", "Child seen alone"),
            Column("NOT_ALONE_REASON", "code", codes=_codes("REFUSED INAPPROPRIATE UNABLE"),
                   description="Why a child seen was not seen alone (CPPCR reg 29): REFUSED, the child, of "
                               "sufficient age and understanding, refused; INAPPROPRIATE, the worker judged it "
                               "inappropriate given the child's age and understanding; UNABLE, the worker was "
                               "unable to"),
        ),
        key=("CHILD", "VISIT_DATE"),
        description="Social worker visits (SSD cla_visits).",
    ),
    Table(
        "health_checks", "supplement",
        (
            _child(),
            Column("CHECK_TYPE", "code", required=True, codes=_codes("IHA RHA DENTAL"),
                   description="IHA initial, RHA review health assessment, DENTAL"),
            Column("CHECK_DATE", "date", required=True, description="Date of the check"),
            Column("STATUS", "code", required=True, codes=_codes("COMPLETED REFUSED CANCELLED"),
                   description="Outcome"),
            _flag("DRUG_MISUSE_ASSESSED",
                  "At a review health assessment, the child was assessed for vulnerability to drug misuse "
                  "(NICE QS165 statement 1)"),
        ),
        key=("CHILD", "CHECK_TYPE", "CHECK_DATE"),
        description="Health assessments and checks (SSD cla_health).",
    ),
    Table(
        "emotional_health", "supplement",
        (
            _child(),
            Column("CONSIDERED_DATE", "date", required=True,
                   description="Date the need for a specialist mental and emotional health assessment was considered"),
            Column("OUTCOME", "code", required=True, codes=_codes("ASSESSED NOT_NEEDED REFUSED CANCELLED"),
                   description="ASSESSED (the assessment was made), NOT_NEEDED (considered, and judged not needed), "
                               "REFUSED, CANCELLED"),
        ),
        key=("CHILD", "CONSIDERED_DATE"),
        description="Specialist mental and emotional health assessments considered after the initial health "
                    "assessment (NICE NG205 1.5.12): a table of its own, so that an extract without it leaves "
                    "HLTH-07 not run rather than reporting every young child.",
    ),
    Table(
        "care_plans", "supplement",
        (
            _child(),
            Column("PLAN_DATE", "date", required=True, description="Date the care plan was completed"),
            _flag("PERMANENCE_PLAN", "Plan for permanence recorded"),
            _flag("HEALTH_PLAN", "Health plan recorded"),
            _flag("PEP", "Personal education plan recorded"),
            _flag("PLACEMENT_PLAN", "Placement plan recorded"),
            _flag("CHILD_WISHES_RECORDED", "Child's wishes and feelings recorded"),
            _flag("IRO_NAMED", "Name of the independent reviewing officer recorded (reg 5(d))"),
            Column("COORDINATOR_ROLE", "code", codes=_codes("SW TM IRO PA HEALTH OTHER"),
                   description="Role of the person coordinating the plan (SW expected)"),
        ),
        key=("CHILD", "PLAN_DATE"),
        description="Care plans (SSD cla_care_plan, extended).",
    ),
    Table(
        "placement_plans", "supplement",
        (
            _child(),
            Column("PLACEMENT_START", "date", required=True,
                   description="Start of the placement (DECOM of the episode that began it)"),
            Column("PLAN_DATE", "date", description="Date of the placement plan (CPPCR reg 9)"),
            _flag("UNTIL_18", "The placement is intended to last until the child is 18 (reg 28(2)(c))"),
            Column("LONG_TERM_FOSTER_DATE", "date",
                   description="Date the placement was confirmed as a long term foster placement "
                               "(CPPCR reg 2(1), as amended in 2015)"),
            Column("VISITS_AGREED_DATE", "date",
                   description="Date the child agreed to visits at intervals of up to six months (CPPCR reg 28(3A))"),
            _flag("EMERGENCY", "The placement was made in an emergency (CPPCR regs 10(3), 13(1))"),
            _flag("OUT_OF_AREA", "The placement is outside the responsible authority's area (CPPCR reg 11)"),
            _flag("AT_A_DISTANCE", "Outside the area and not in an adjoining authority's area (reg 11(5))"),
            _flag("EDUCATION_DISRUPTED",
                  "The placement disrupts the arrangements made for the child's education or training (CPPCR reg 10)"),
        ),
        key=("CHILD", "PLACEMENT_START"),
        description="What each placement's plan says: its date, whether it is meant to last until 18, "
                    "long-term fostering, the child's agreement to less frequent visits, whether it is out of "
                    "the authority's area and whether it disrupts the child's education.",
    ),
    Table(
        "placement_decisions", "supplement",
        (
            _child(),
            Column("PLACEMENT_START", "date", required=True,
                   description="Start of the placement the decision concerns (DECOM of the episode that began it)"),
            Column("DECISION", "code", required=True, codes=PLACEMENT_DECISIONS,
                   description="The decision or step: " + _explained(PLACEMENT_DECISION_HELP)),
            Column("DECISION_DATE", "date", required=True, description="Date of the decision or step"),
        ),
        key=("CHILD", "PLACEMENT_START", "DECISION"),
        description="Decisions the regulations require around a placement: placing with a parent, approving a "
                    "connected person, a placement out of area or one that disrupts education, and ending it.",
    ),
    Table(
        "notifications", "supplement",
        (
            _child(),
            Column("PLACEMENT_START", "date", required=True,
                   description="Start of the placement notified (DECOM of the episode that began it)"),
            Column("RECIPIENT", "code", required=True, codes=RECIPIENTS,
                   description="Who was notified: " + _explained(RECIPIENT_HELP)),
            Column("NOTIFIED_DATE", "date", description="Date the written notice was sent (empty: not sent)"),
            _flag("WITHHELD", "Notice withheld because it would put the child at risk of significant harm "
                              "(CPPCR reg 13(3))"),
        ),
        key=("CHILD", "PLACEMENT_START", "RECIPIENT"),
        description="Written notice of each placement, by recipient (CPPCR reg 13).",
    ),
    Table(
        "care_plan_changes", "supplement",
        (
            _child(),
            Column("CHANGE_DATE", "date", required=True, description="Date the change to the care plan was made"),
            Column("CHANGE_TYPE", "code", required=True,
                   codes=_codes("PERMANENCE PLACEMENT CONTACT EDUCATION HEALTH OTHER"),
                   description="What the significant change concerns"),
            Column("REVIEW_DATE", "date", description="Date of the review that considered the change"),
            _flag("NOT_PRACTICABLE", "A review before the change was not reasonably practicable (CPPCR reg 32)"),
        ),
        key=("CHILD", "CHANGE_DATE", "CHANGE_TYPE"),
        description="Significant changes to the care plan and the review that considered each (CPPCR reg 32).",
    ),
    Table(
        "siblings", "supplement",
        (
            _child(),
            Column("SIBLING", "id", required=True, max_length=10,
                   description="The looked-after sibling's pseudonymised identifier (the CHILD of their records)"),
            Column("SINCE", "date", required=True,
                   description="First day of the arrangement recorded: both looked after, together or apart"),
            _flag("TOGETHER", "Placed to live together (Children Act 1989 s.22C(8)(c))", required=True),
            Column("REASON_DATE", "date", description="Date the reason for placing them apart was recorded"),
            Column("CONTACT_DATE", "date",
                   description="Date the care plan set out the arrangements for contact with the sibling"),
        ),
        key=("CHILD", "SIBLING", "SINCE"),
        date_order=(("REASON_DATE", "SINCE"),),
        description="Looked-after brothers and sisters: placed together or apart, the reason, and contact.",
    ),
    Table(
        "advocacy", "supplement",
        (
            _child(),
            Column("EVENT", "code", required=True, codes=ADVOCACY_EVENTS,
                   description="The event: " + _explained(ADVOCACY_HELP)),
            Column("EVENT_DATE", "date", required=True, description="Date of the event"),
        ),
        key=("CHILD", "EVENT", "EVENT_DATE"),
        description="Independent visitors (Children Act 1989 s.23ZB) and advocacy for representations and "
                    "complaints (s.26A).",
    ),
    Table(
        "placement_views", "supplement",
        (
            _child(),
            Column("MOVE_DATE", "date", required=True, description="Date of the placement move"),
            Column("CHILD_VIEW", "code", codes=_codes("AGREED DISAGREED NOT_ASKED UNABLE"),
                   description="The child's view of the move"),
            Column("AUDIT_DATE", "date", description="Date a move against the child's wishes was audited"),
        ),
        key=("CHILD", "MOVE_DATE"),
        date_order=(("AUDIT_DATE", "MOVE_DATE"),),
        description="The child's view of each placement move, and its audit (NICE/SCIE).",
    ),
    Table(
        "health_record_access", "supplement",
        (
            _child(),
            Column("WORKER_ID", "id", required=True, max_length=20, description="Worker's pseudonymised identifier"),
            Column("REQUESTED_DATE", "date", required=True, description="Access requested"),
            Column("GRANTED_DATE", "date", description="Access granted"),
            Column("ENDED_DATE", "date", description="Access ended"),
            Column("CONSENT_BASIS", "code", codes=_codes("CHILD PARENT COURT OTHER"),
                   description="Basis of consent"),
        ),
        key=("CHILD", "WORKER_ID", "REQUESTED_DATE"),
        date_order=(("GRANTED_DATE", "REQUESTED_DATE"), ("ENDED_DATE", "GRANTED_DATE")),
        description="Social workers' access to the child's health records (NICE/SCIE).",
    ),
    Table(
        "care_plan_review_requests", "supplement",
        (
            _child(),
            Column("REQUEST_DATE", "date", required=True, description="Review requested by the social worker"),
            Column("OUTCOME_DATE", "date", description="Request decided"),
        ),
        key=("CHILD", "REQUEST_DATE"),
        date_order=(("OUTCOME_DATE", "REQUEST_DATE"),),
        description="Social workers' requests for a care-plan review (NICE/SCIE).",
    ),
    Table(
        "leaving_care", "supplement",
        (
            _child(),
            Column("EVENT", "code", required=True,
                   codes=_codes("NEEDS_ASSESSMENT PATHWAY_PLAN PATHWAY_REVIEW PA_ALLOCATED "
                                "READINESS_ASSESSMENT CEASE_APPROVAL CEASE_APPROVAL_NOMINATED CEASE_APPROVAL_DCS "
                                "ADULT_SERVICES_REFERRAL "
                                "STAYING_PUT_OFFERED"),
                   description="Leaving-care event"),
            Column("EVENT_DATE", "date", required=True, description="Date of the event"),
        ),
        key=("CHILD", "EVENT", "EVENT_DATE"),
        description="Leaving-care events (SSD care_leavers, as events).",
    ),
    Table(
        "peps", "supplement",
        (
            _child(),
            Column("PEP_DATE", "date", required=True, description="Date of the PEP meeting"),
            Column("PEP_TYPE", "code", required=True, codes=_codes("INITIAL REVIEW"),
                   description="INITIAL or REVIEW"),
        ),
        key=("CHILD", "PEP_DATE"),
        description="Personal education plans.",
    ),
    Table(
        "return_interviews", "supplement",
        (
            _child(),
            Column("MIS_START", "date", required=True, description="Start of the missing episode"),
            Column("OFFERED_DATE", "date", description="Return interview offered"),
            Column("HELD_DATE", "date", description="Return interview held"),
        ),
        key=("CHILD", "MIS_START"),
        description="Return home interviews after a missing episode.",
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def table_for_name(stem: str) -> Table | None:
    """The table a file stem names (case-insensitive, spaces and hyphens as underscores)."""
    key = stem.strip().lower().replace("-", "_").replace(" ", "_")
    return TABLES_BY_NAME.get(key)


def table_for_headers(headers: list[str]) -> Table | None:
    """The table whose exact column set matches these headers, as the DfE 903 tools do."""
    wanted = {h.strip().upper() for h in headers}
    matches = [t for t in TABLES if set(t.column_names) == wanted]
    return matches[0] if len(matches) == 1 else None
