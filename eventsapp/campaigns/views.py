"""Campaign pages: list, create (dates proposed from the lunar calendar), edit, publish, archive,
and the campaign page with its events as a schedule."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import navigation, validation
from ..associations.forms import ConfirmForm
from ..associations.models import Association
from ..extensions import db
from ..i18n import current_locale
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..permissions import Action, accessible_associations, association_ids_for, authorize, can, home_association
from ..timeutils import utcnow
from ..web import save_or_flash
from . import services
from .forms import KIND_LABELS, CampaignForm
from .models import Campaign, CampaignKind

bp = Blueprint("campaigns", __name__)

navigation.register("campaigns.index", _l("Campaigns"), order=15)
navigation.register_tab("campaign", "campaigns.show", _l("Schedule"), order=0)

STATUS_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "archived": _l("Archived")}


@bp.app_context_processor
def campaign_labels():
    return {"campaign_kind_labels": KIND_LABELS, "campaign_status_labels": STATUS_LABELS}


def load_campaign(campaign_id: int, action: Action) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    authorize(action, campaign.association_id)
    return campaign


@bp.get("/campaigns/")
@login_required
def index():
    campaigns = services.campaigns_for(association_ids_for(current_user, Action.VIEW))
    return render_template("campaigns/index.html", campaigns=campaigns,
                           can_create=bool(accessible_associations(current_user, Action.MANAGE)))


def _redraw(field, value) -> None:
    """Set a field's value so the page shows it: WTForms redraws what was posted (raw_data), not .data."""
    field.data = value
    field.raw_data = None
    field.errors = []


def _apply_proposal(form: CampaignForm, force: bool) -> bool:
    """Fill dates (and an empty title) from the lunar calendar; True when something was proposed."""
    year = form.year.data
    if not year or form.year.errors:  # (a year out of range is shown as the field's error)
        return False
    proposal = services.propose(form.kind.data, year)
    if not proposal:
        if force:
            flash(_("Dates are proposed for Tết Việt week and Xuân Quê hương campaigns."), "info")
        return False
    if force or not form.starts_on.data:
        _redraw(form.starts_on, proposal["starts_on"])
        _redraw(form.ends_on, proposal["ends_on"])
    for name in ("title_vi", "title_en"):
        field = getattr(form, name)
        if services.is_proposed_title(form.kind.data, field.data):
            _redraw(field, proposal[name])
    if force:
        flash(_("Tết %(year)s (Vietnamese lunar calendar) falls on %(date)s.", year=year,
                date=proposal["tet"].strftime("%d/%m/%Y")), "info")
    return True


def _values(form: CampaignForm) -> dict:
    return dict(title_vi=form.title_vi.data or "", title_en=form.title_en.data or "", kind=form.kind.data,
                description_vi=form.description_vi.data or "", description_en=form.description_en.data or "",
                starts_on=form.starts_on.data, ends_on=form.ends_on.data)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@login_required
def create():
    associations = accessible_associations(current_user, Action.MANAGE)
    if not associations:
        abort(403)
    form = CampaignForm()
    form.association_id.choices = [(a.id, a.name(current_locale())) for a in associations]
    if request.method == "GET":
        home = home_association(current_user, associations)
        form.association_id.data = home.id if home else None
        kind = request.args.get("kind")
        if kind in CampaignKind._value2member_map_:
            form.kind.data = kind
        year = request.args.get("year", type=int)
        form.year.data = year if year and validation.YEAR_MIN <= year <= validation.YEAR_MAX else \
            services.default_year(utcnow().date())
        _apply_proposal(form, force=False)
    elif form.propose.data:
        form.validate()
        _apply_proposal(form, force=True)
    elif form.validate_on_submit():
        _apply_proposal(form, force=False)
        association = db.session.get(Association, form.association_id.data)
        authorize(Action.MANAGE, association)
        campaign = save_or_flash(services.CampaignError, services.create_campaign, association, **_values(form))
        if campaign is not None:
            return redirect(url_for(".show", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=None)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int):
    campaign = load_campaign(campaign_id, Action.MANAGE)
    form = CampaignForm(obj=campaign)
    form.association_id.choices = [(campaign.association_id, campaign.association.name(current_locale()))]
    if request.method == "GET":
        form.kind.data = campaign.kind.value
        form.year.data = (campaign.ends_on or campaign.starts_on or utcnow().date()).year
    elif form.propose.data:
        form.validate()
        _apply_proposal(form, force=True)
    elif form.validate_on_submit():
        if save_or_flash(services.CampaignError, services.update_campaign, campaign, **_values(form)) is not None:
            return redirect(url_for(".show", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=campaign)


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def show(campaign_id: int):
    campaign = load_campaign(campaign_id, Action.VIEW)
    return render_template("campaigns/show.html", campaign=campaign,
                           can_manage=can(current_user, Action.MANAGE, campaign.association_id))


@bp.post("/campaigns/<int:campaign_id>/publish")
@login_required
def publish(campaign_id: int):
    campaign = load_campaign(campaign_id, Action.MANAGE)
    _transition(services.publish, campaign, _("The campaign is published."))
    return redirect(url_for(".show", campaign_id=campaign.id))


@bp.post("/campaigns/<int:campaign_id>/archive")
@login_required
def archive(campaign_id: int):
    campaign = load_campaign(campaign_id, Action.MANAGE)
    _transition(services.archive, campaign, _("The campaign is archived."))
    return redirect(url_for(".show", campaign_id=campaign.id))


def _transition(action, campaign: Campaign, message: str) -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    save_or_flash(services.CampaignError, action, campaign, saved=message)
