"""Imports every model so metadata (create_all, Alembic) sees all tables."""
from .auth.models import LoginAttempt  # noqa: F401
from .changelog.models import ChangeLogEntry  # noqa: F401
from .companies.models import Company, CustomerNumber  # noqa: F401
from .interfaces.models import InterfaceService, ServiceCompany, ServiceSecret  # noqa: F401
from .interfaces.health_models import HealthNotice, HealthRun  # noqa: F401
from .interfaces.credential_plan_models import CredentialPlan  # noqa: F401
from .interfaces.rollout_models import Rollout, RolloutStep  # noqa: F401
from .org.models import Branch, BranchOrganisation, Chain, Workstation  # noqa: F401
from .users.models import LoginSession, User  # noqa: F401
from .customers.models import Customer  # noqa: F401
from .processes.models import (  # noqa: F401
    EarMouldPosition, Process, ProcessStep, ProcessTemplate, TemplateStep,
)
from .outbound.models import Outbound, OutboundAttempt  # noqa: F401
from .ordering.models import Order  # noqa: F401
from .audoora.models import AudooraRegistration  # noqa: F401
from .audoora.carts import AudooraCart  # noqa: F401
from .documents.models import DocumentTemplate  # noqa: F401
from .cards.models import CardBatch, CardOrder  # noqa: F401
from .notifications.models import Notification  # noqa: F401
from .sinno.models import SinnoActivation, SinnoLogin, SinnoMessage  # noqa: F401
from .submissions import FormSubmission  # noqa: F401
