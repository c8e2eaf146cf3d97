"""Reads shared by services, views, admin and API (DESIGN §2), one module per reader; `selectors.X` names each."""

from __future__ import annotations

from .case_page import HOLDS_DATA as HOLDS_DATA
from .case_page import Comparisons as Comparisons
from .case_page import asks_specific_pieces as asks_specific_pieces
from .case_page import categories_tier as categories_tier
from .case_page import certificates as certificates
from .case_page import connector_runs as connector_runs
from .case_page import detail_comparisons as detail_comparisons
from .case_page import identity_reached as identity_reached
from .case_page import recipients_to_notify as recipients_to_notify
from .case_page import verification_tier as verification_tier
from .clock import applicable_regimes as applicable_regimes
from .clock import deadlines_of as deadlines_of
from .clock import establishment_laws as establishment_laws
from .clock import local_date as local_date
from .clock import local_today as local_today
from .clock import operator_zone as operator_zone
from .clock import period_covered as period_covered
from .clock import regime_objects as regime_objects
from .owner_tasks import connector_systems as connector_systems
from .owner_tasks import owner_language as owner_language
from .owner_tasks import owner_systems as owner_systems
from .queue import DEFAULT_QUEUE as DEFAULT_QUEUE
from .queue import OPEN_VALUES as OPEN_VALUES
from .queue import REFERENCE as REFERENCE
from .queue import QueueFilters as QueueFilters
from .queue import assigned as assigned
from .queue import cases_for as cases_for
from .queue import due_within as due_within
from .queue import effective_due_by as effective_due_by
from .queue import governed_by as governed_by
from .queue import in_queue as in_queue
from .queue import overdue as overdue
from .queue import queue as queue
from .queue import search as search
from .queue import with_open_owner_tasks as with_open_owner_tasks
from .requester import PUBLIC_VERBS as PUBLIC_VERBS
from .requester import cases_of as cases_of
from .requester import public_timeline as public_timeline
from .staff import DIGEST_KINDS as DIGEST_KINDS
from .staff import digest_notices as digest_notices
from .staff import staff_language as staff_language
