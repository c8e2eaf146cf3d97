"""The case's models, one module per part of it (DESIGN §2); `requests.models.X` names every one.

A foreign key to the case is called `privacy_request` everywhere; its column keeps the first name, `request_id`,
which the audit trail's PostgreSQL triggers and the tests' tampering SQL use.
"""

from __future__ import annotations

from ..lifecycle import PacketStatus as PacketStatus  # re-exported: it was defined here once
from .audit import ActorKind as ActorKind
from .audit import AuditHead as AuditHead
from .audit import AuditLedger as AuditLedger
from .audit import RequestEvent as RequestEvent
from .case import FOLLOW_UPS as FOLLOW_UPS
from .case import OUTCOMES_OF as OUTCOMES_OF
from .case import REQUEST_OUTCOMES as REQUEST_OUTCOMES
from .case import RIGHTS as RIGHTS
from .case import Channel as Channel
from .case import DenialReason as DenialReason
from .case import FeeReason as FeeReason
from .case import Kind as Kind
from .case import Outcome as Outcome
from .case import PrivacyRequest as PrivacyRequest
from .case import Relationship as Relationship
from .connectors import ACTIONS_BY_KIND as ACTIONS_BY_KIND
from .connectors import ConnectorAction as ConnectorAction
from .connectors import ConnectorRun as ConnectorRun
from .connectors import DetailVerdict as DetailVerdict
from .connectors import RunStatus as RunStatus
from .fulfilment import CheckState as CheckState
from .fulfilment import Letter as Letter
from .fulfilment import LetterKind as LetterKind
from .fulfilment import Packet as Packet
from .fulfilment import SystemCheck as SystemCheck
from .inbox import InboxAttachment as InboxAttachment
from .inbox import InboxItem as InboxItem
from .inbox import InboxState as InboxState
from .notes import CaseNote as CaseNote
from .owner_tasks import OwnerTask as OwnerTask
from .owner_tasks import OwnerTaskStatus as OwnerTaskStatus
from .post import PostalLetter as PostalLetter
from .register import CompanySystem as CompanySystem
from .register import ConnectorKind as ConnectorKind
from .register import LegalBasis as LegalBasis
from .register import ProcessingActivity as ProcessingActivity
from .register import lines_of as lines_of
from .register import own_text as own_text
from .replies import PLACEHOLDERS as PLACEHOLDERS
from .replies import ReplyLanguage as ReplyLanguage
from .replies import ReplyPurpose as ReplyPurpose
from .replies import ReplyTemplate as ReplyTemplate
from .runtime import Heartbeat as Heartbeat
from .runtime import SweepClaim as SweepClaim
from .staff import SavedView as SavedView
from .staff import StaffPreference as StaffPreference
from .suppression import SuppressedAddress as SuppressedAddress
from .third_parties import TOLD_FOR as TOLD_FOR
from .third_parties import NoticeMethod as NoticeMethod
from .third_parties import RecipientNotice as RecipientNotice
from .third_parties import ThirdParty as ThirdParty
from .third_parties import ThirdPartyNotice as ThirdPartyNotice
from .thread import Message as Message
from .thread import Notice as Notice
from .thread import SentEmail as SentEmail
