"""The staff side in Django's admin (DESIGN §8): the queue and case page, the register, the audit trail, staff preferences.

Thin: each page parses what staff sent and calls a service or a selector. Importing this package registers every
ModelAdmin (Django's autodiscovery imports `requests.admin`).
"""

from __future__ import annotations

from .audit import RequestEventAdmin as RequestEventAdmin
from .cases import AssigneeFilter as AssigneeFilter
from .cases import DueFilter as DueFilter
from .cases import PrivacyRequestAdmin as PrivacyRequestAdmin
from .cases import QueueFilter as QueueFilter
from .cases import RegimeFilter as RegimeFilter
from .inbox import InboxItemAdmin as InboxItemAdmin
from .register import CompanySystemAdmin as CompanySystemAdmin
from .register import ProcessingActivityAdmin as ProcessingActivityAdmin
from .replies import ReplyTemplateAdmin as ReplyTemplateAdmin
from .staff import StaffPreferenceAdmin as StaffPreferenceAdmin
