"""巡查 routes' checklist items, rounds and results; 违章 and their follow-ups; 值班 shift logs, entries and handover.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inspection_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_inspection_routes_estate_id_estates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_routes')),
    sa.UniqueConstraint('estate_id', 'name', name=op.f('uq_inspection_routes_estate_id_name'))
    )
    with op.batch_alter_table('inspection_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_routes_estate_id'), ['estate_id'], unique=False)

    op.create_table('inspection_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['route_id'], ['inspection_routes.id'], name=op.f('fk_inspection_items_route_id_inspection_routes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_items'))
    )
    with op.batch_alter_table('inspection_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_items_route_id'), ['route_id'], unique=False)

    op.create_table('duty_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=True),
    sa.Column('duty_on', sa.Date(), nullable=False),
    sa.Column('shift', sa.String(length=4), nullable=False),
    sa.Column('writer_id', sa.Integer(), nullable=True),
    sa.Column('writer_name', sa.String(length=32), nullable=False),
    sa.Column('opened_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('handed_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('summary', sa.String(length=1000), nullable=False),
    sa.Column('open_items', sa.Integer(), nullable=False),
    sa.Column('receiver_id', sa.Integer(), nullable=True),
    sa.Column('receiver_name', sa.String(length=32), nullable=False),
    sa.Column('confirmed_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('confirm_note', sa.String(length=500), nullable=False),
    sa.Column('carried_from_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['carried_from_id'], ['duty_shifts.id'], name=op.f('fk_duty_shifts_carried_from_id_duty_shifts')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_duty_shifts_estate_id_estates')),
    sa.ForeignKeyConstraint(['receiver_id'], ['users.id'], name=op.f('fk_duty_shifts_receiver_id_users')),
    sa.ForeignKeyConstraint(['writer_id'], ['users.id'], name=op.f('fk_duty_shifts_writer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_shifts'))
    )
    with op.batch_alter_table('duty_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_shifts_confirmed_at'), ['confirmed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_shifts_duty_on'), ['duty_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_shifts_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_shifts_handed_at'), ['handed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_shifts_receiver_id'), ['receiver_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_shifts_writer_id'), ['writer_id'], unique=False)

    op.create_table('inspection_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('round_on', sa.Date(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('inspector_name', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_inspection_rounds_inspector_id_users')),
    sa.ForeignKeyConstraint(['route_id'], ['inspection_routes.id'], name=op.f('fk_inspection_rounds_route_id_inspection_routes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_rounds')),
    sa.UniqueConstraint('route_id', 'round_on', name=op.f('uq_inspection_rounds_route_id_round_on'))
    )
    with op.batch_alter_table('inspection_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_rounds_inspector_id'), ['inspector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_rounds_round_on'), ['round_on'], unique=False)

    op.create_table('violations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('location', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('found_on', sa.Date(), nullable=False),
    sa.Column('found_by', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('notice_no', sa.String(length=24), nullable=False),
    sa.Column('notice_on', sa.Date(), nullable=True),
    sa.Column('deadline_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('outcome_note', sa.String(length=200), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('closed_by', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_violations_estate_id_estates')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_violations_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_violations'))
    )
    with op.batch_alter_table('violations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_violations_closed_on'), ['closed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_violations_deadline_on'), ['deadline_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_violations_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_violations_found_on'), ['found_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_violations_unit_id'), ['unit_id'], unique=False)

    op.create_table('duty_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('at', db.types.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('content', sa.String(length=500), nullable=False),
    sa.Column('open_item', sa.Boolean(), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=False),
    sa.Column('resolved_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('resolved_note', sa.String(length=200), nullable=False),
    sa.Column('carried_from_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['carried_from_id'], ['duty_entries.id'], name=op.f('fk_duty_entries_carried_from_id_duty_entries')),
    sa.ForeignKeyConstraint(['shift_id'], ['duty_shifts.id'], name=op.f('fk_duty_entries_shift_id_duty_shifts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_entries'))
    )
    with op.batch_alter_table('duty_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_entries_shift_id'), ['shift_id'], unique=False)

    op.create_table('inspection_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=16), nullable=False),
    sa.Column('item_text', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=8), nullable=False),
    sa.Column('result', sa.String(length=4), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('ticket_claimed_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['inspection_items.id'], name=op.f('fk_inspection_results_item_id_inspection_items')),
    sa.ForeignKeyConstraint(['round_id'], ['inspection_rounds.id'], name=op.f('fk_inspection_results_round_id_inspection_rounds')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_inspection_results_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_results'))
    )
    with op.batch_alter_table('inspection_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_results_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_results_result'), ['result'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_results_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_results_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('violation_follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('violation_id', sa.Integer(), nullable=False),
    sa.Column('followed_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('by_name', sa.String(length=32), nullable=False),
    sa.Column('at', db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_violation_follow_ups_by_user_id_users')),
    sa.ForeignKeyConstraint(['violation_id'], ['violations.id'], name=op.f('fk_violation_follow_ups_violation_id_violations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_violation_follow_ups'))
    )
    with op.batch_alter_table('violation_follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_violation_follow_ups_violation_id'), ['violation_id'], unique=False)


def downgrade() -> None:
    # dropping a table drops its indexes (MariaDB refuses to drop an index a foreign key needs first)
    op.drop_table('violation_follow_ups')
    op.drop_table('inspection_results')
    op.drop_table('duty_entries')
    op.drop_table('violations')
    op.drop_table('inspection_rounds')
    op.drop_table('duty_shifts')
    op.drop_table('inspection_items')
    op.drop_table('inspection_routes')
