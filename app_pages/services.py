"""Services tab: the service object's records in its pipelines, as a table or a board (SRV-1..SRV-4)."""

from cs_core import records, settings
from cs_core.users import Action, can
from ui import auth, db, pipeline_tab
from ui import text as ut

con = db.connection()
user = auth.require_page(con, Action.USE_WORKSPACE)
chosen = settings.get_service_settings(con)
obj = records.get_object(con, chosen.object) if chosen else None
if chosen is None or obj is None or not obj.is_enabled:
    ut.title("Services")
    pipeline_tab.empty_state("Services (onboarding, implementation and other projects for your customers)",
                             section="services", can_manage=can(user, Action.MANAGE_SETTINGS))  # fmt: skip
else:
    pipeline_tab.pipeline_tab(
        con, prefix="services", user=user, obj=obj, chosen=chosen, quick=("created_at",)
    )
