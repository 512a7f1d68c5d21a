"""A ceremony to test with: a protocol table, 120 accepted invitees of mixed rank (some with a named guest),
three delegations (one larger than a table) and a hall of round tables."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from eventsapp.associations.models import Role
from eventsapp.ceremony.models import ProtocolPosition, SeatTable
from eventsapp.events.models import EventKind
from eventsapp.extensions import db
from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.invitations.models import Invitation
from eventsapp.timeutils import utcnow
from tests.attendance_factories import invite
from tests.factories import AssociationFactory, EventFactory, staff

LINES = [
    ("Lãnh đạo tỉnh", "Chủ tịch UBND tỉnh\nPhó Chủ tịch UBND tỉnh\nBí thư Tỉnh ủy", False),
    ("Lãnh đạo Liên hiệp", "Chủ tịch Liên hiệp; Phó Chủ tịch Liên hiệp", False),
    ("Khách quốc tế (theo đoàn)", "Đại sứ; Tổng Lãnh sự", True),
    ("Chủ tịch các hội", "Chủ tịch Hội", False),
]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Khánh", "Lan",
         "Linh", "Long", "Mai", "Minh", "Nam", "Ngọc", "Phương", "Quang", "Sơn", "Thảo", "Trang"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]


def position_of(index: int) -> tuple[str, str]:
    """(honorific, position) of the index-th invitee: 4 provincial leaders, 6 of the union, 20 chairs, members."""
    if index < 4:
        return "Đồng chí", ["Bí thư Tỉnh ủy", "Chủ tịch UBND tỉnh", "Phó Chủ tịch UBND tỉnh",
                            "Phó chủ tịch ubnd tinh"][index]
    if index < 10:
        return "Đồng chí", "Phó Chủ tịch Liên hiệp các tổ chức hữu nghị" if index % 2 else "Chủ tịch Liên hiệp"
    if index < 30:
        return "Ông" if index % 2 else "Bà", f"Chủ tịch Hội hữu nghị Việt – {['Séc', 'Nga', 'Đức', 'Nhật'][index % 4]}"
    return "Ông" if index % 2 else "Bà", "Hội viên" if index % 3 else ""


@dataclass
class Ceremony:
    event: object
    organiser: object
    door_staff: object
    invitations: list = field(default_factory=list)
    delegations: list = field(default_factory=list)
    tables: list = field(default_factory=list)


def ceremony(invitees: int = 120, tables: int = 20, capacity: int = 10, delegation_sizes=(4, 6, 12),
             under_way: bool = False) -> Ceremony:
    """`under_way`: the event started an hour ago (the door checks people in without asking)."""
    association = AssociationFactory()
    when = {"starts_at": utcnow().replace(microsecond=0) - timedelta(hours=1)} if under_way else {}
    event = EventFactory(association=association, kind=EventKind.AWARD_CEREMONY,
                         title_vi="Lễ kỷ niệm 75 năm Liên hiệp các tổ chức hữu nghị", **when)
    organiser = staff(association, Role.ORGANISER, name="Phạm Thu Hà")
    door_staff = staff(association, Role.CHECKIN, name="Trần Văn Nam")
    for order, (label, keywords, delegations) in enumerate(LINES, start=1):
        db.session.add(ProtocolPosition(association_id=association.id, order=order, label=label, keywords=keywords,
                                        delegations=delegations))
    world = Ceremony(event, organiser, door_staff)
    for index in range(invitees):
        honorific, position = position_of(index)
        name = f"{FAMILY[index % len(FAMILY)]} Văn {GIVEN[(index * 7) % len(GIVEN)]} {index:03d}"
        invitation = invite(event, full_name=name, honorific=honorific, position=position,
                            email=f"dai-bieu-{index}@example.vn")
        world.invitations.append(invitation)
    db.session.flush()
    for index in range(12, invitees, 10):  # every tenth invitee brings a named guest
        db.session.add(EventGuest(event_id=event.id, invitation_id=world.invitations[index].id,
                                  full_name=f"Lê Thị Khách {index:03d}", honorific="Bà", position=""))
    for number, size in enumerate(delegation_sizes):
        leader = world.invitations[min(40, invitees - len(delegation_sizes)) + number]
        delegation = Delegation(event_id=event.id, name=["Hội người Việt tại Séc", "Đại sứ quán Cộng hòa Séc",
                                                         "Hội hữu nghị Nhật – Việt"][number % 3],
                                leader_invitation_id=leader.id, quota=size)
        db.session.add(delegation)
        db.session.flush()
        for member in range(size - 1):
            db.session.add(EventGuest(event_id=event.id, delegation_id=delegation.id,
                                      full_name=f"Thành viên {number}-{member:02d} Đoàn",
                                      honorific="Ngài" if number == 1 else "Ông", position="Tùy viên"))
        world.delegations.append(delegation)
    for number in range(1, tables + 1):
        table = SeatTable(event_id=event.id, number=number, name="Bàn chủ tọa" if number == 1 else "",
                          shape="round", capacity=capacity, x=100 + ((number - 1) % 5) * 200,
                          y=120 + ((number - 1) // 5) * 150)
        db.session.add(table)
        world.tables.append(table)
    db.session.commit()
    return world


def invitation_of(world: Ceremony, index: int) -> Invitation:
    return world.invitations[index]
