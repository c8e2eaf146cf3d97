"""Every change of a case is one function in this package (DESIGN §4), one module per part of the case's life.

Each service is atomic, guarded by the transition table, claims the row with a conditional UPDATE
(so a double click or a doubled worker loses cleanly), recomputes the deadlines it affects and writes
exactly one audit event. Views, admin actions, API endpoints and tasks call these; none of them
assigns `status`. `services.X` names every one of them; `rules` says what may be done now. `systems` configures
a company system's connector (credentials, the connection test): not a change of a case, so no event.
"""

from __future__ import annotations

from . import carry_out as carry_out
from . import connectors as connectors
from . import notes as notes
from . import post as post
from . import suppression as suppression
from . import third_parties as third_parties
from . import workspace as workspace
from .checklist import record_system_check as record_system_check
from .checklist import store_extract as store_extract
from .common import BUILD_PACKET as BUILD_PACKET
from .common import SEND_OVERDUE_DIGEST as SEND_OVERDUE_DIGEST
from .common import SEND_OWNER_TASK as SEND_OWNER_TASK
from .common import SEND_REQUESTER_EMAIL as SEND_REQUESTER_EMAIL
from .common import SEND_STAFF_DIGEST as SEND_STAFF_DIGEST
from .common import SEND_STAFF_NOTICE as SEND_STAFF_NOTICE
from .common import SEND_SUBJECT_CONFIRMATION as SEND_SUBJECT_CONFIRMATION
from .common import SEND_THIRD_PARTY_NOTICE as SEND_THIRD_PARTY_NOTICE
from .common import SEND_VERIFICATION_EMAIL as SEND_VERIFICATION_EMAIL
from .common import TransitionError as TransitionError
from .fees import accept_fee as accept_fee
from .fees import decline_fee as decline_fee
from .fees import quote_fee as quote_fee
from .follow_ups import appeal as appeal
from .follow_ups import complain as complain
from .follow_ups import decide as decide
from .follow_ups import reopen as reopen
from .intake import REPETITION_WINDOW as REPETITION_WINDOW
from .intake import NewRequest as NewRequest
from .intake import confirm_email as confirm_email
from .intake import honour as honour
from .intake import needs_subject_confirmation as needs_subject_confirmation
from .intake import record_subject_answer as record_subject_answer
from .intake import submit as submit
from .intake import verify as verify
from .notes import add_note as add_note
from .notes import may_add_note as may_add_note
from .outcomes import complete as complete
from .outcomes import deny as deny
from .outcomes import lift_restriction as lift_restriction
from .outcomes import withdraw as withdraw
from .owner_tasks import LinkState as LinkState
from .owner_tasks import TaskClosed as TaskClosed
from .owner_tasks import answer_task as answer_task
from .owner_tasks import cancel_tasks as cancel_tasks
from .owner_tasks import claim_reminder as claim_reminder
from .owner_tasks import find_task as find_task
from .owner_tasks import find_task_by_hash as find_task_by_hash
from .owner_tasks import link_state as link_state
from .owner_tasks import open_tasks as open_tasks
from .owner_tasks import outcomes_for as outcomes_for
from .owner_tasks import owner_actions as owner_actions
from .owner_tasks import token_hash as token_hash
from .packets import record_download as record_download
from .packets import release_packet as release_packet
from .packets import request_packet as request_packet
from .preview import Outgoing as Outgoing
from .preview import preview as preview
from .rules import APPEALABLE_FROM as APPEALABLE_FROM
from .rules import CHANGE_CASE as CHANGE_CASE
from .rules import CHECKABLE_FROM as CHECKABLE_FROM
from .rules import FEE_QUOTABLE_FROM as FEE_QUOTABLE_FROM
from .rules import PACKET_FROM as PACKET_FROM
from .rules import PACKET_KINDS as PACKET_KINDS
from .rules import PAUSABLE_FROM as PAUSABLE_FROM
from .rules import RULES as RULES
from .rules import WORKING as WORKING
from .rules import Actor as Actor
from .rules import Availability as Availability
from .rules import Condition as Condition
from .rules import Rule as Rule
from .rules import availability as availability
from .rules import available as available
from .systems import connector_for as connector_for
from .systems import credentials_of as credentials_of
from .systems import forget_credentials as forget_credentials
from .systems import set_credentials as set_credentials
from .systems import test_connection as test_connection
from .third_parties import record_recipient_notice as record_recipient_notice
from .thread import reply as reply
from .thread import send_message as send_message
from .triage import assign as assign
from .triage import expire as expire
from .triage import extend as extend
from .triage import forward as forward
from .triage import pause as pause
from .triage import resume as resume
