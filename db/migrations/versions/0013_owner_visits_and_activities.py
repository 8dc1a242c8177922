"""业主访谈 plan and records; 社区文化活动; 宣传栏 bulletins.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('owner_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('way', sa.String(length=4), nullable=False),
    sa.Column('face_to_face', sa.Boolean(), nullable=False),
    sa.Column('person_met', sa.String(length=32), nullable=False),
    sa.Column('content', sa.String(length=1000), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('visitor_id', sa.Integer(), nullable=True),
    sa.Column('visitor_name', sa.String(length=32), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('withdrawn_reason', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_owner_visits_estate_id_estates')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_owner_visits_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_owner_visits_unit_id_units')),
    sa.ForeignKeyConstraint(['visitor_id'], ['users.id'], name=op.f('fk_owner_visits_visitor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_visits'))
    )
    with op.batch_alter_table('owner_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_visits_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_visits_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_visits_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_visits_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_visits_visited_on'), ['visited_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_visits_visitor_id'), ['visitor_id'], unique=False)

    op.create_table('visit_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('planned_month', sa.String(length=7), nullable=False),
    sa.Column('basis', sa.String(length=8), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('planned_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('planned_by', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_visit_plans_assignee_id_users')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_visit_plans_building_id_buildings')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_visit_plans_estate_id_estates')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_visit_plans_unit_id_units')),
    sa.ForeignKeyConstraint(['visit_id'], ['owner_visits.id'], name=op.f('fk_visit_plans_visit_id_owner_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_plans')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_visit_plans_visit_id')),
    sa.UniqueConstraint('year', 'unit_id', 'sequence', name=op.f('uq_visit_plans_year_unit_id_sequence'))
    )
    with op.batch_alter_table('visit_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_plans_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_plans_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_plans_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_plans_planned_month'), ['planned_month'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_plans_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_plans_year'), ['year'], unique=False)

    op.create_table('community_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=64), nullable=False),
    sa.Column('organiser', sa.String(length=32), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=True),
    sa.Column('cost', db.types.Money(), nullable=False),
    sa.Column('status', sa.String(length=4), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('cancel_reason', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_community_activities_estate_id_estates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_activities'))
    )
    with op.batch_alter_table('community_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_activities_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_activities_held_on'), ['held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_activities_status'), ['status'], unique=False)

    op.create_table('bulletins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('content', sa.String(length=500), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('posted_on', sa.Date(), nullable=False),
    sa.Column('posted_by', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_bulletins_estate_id_estates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletins')),
    sa.UniqueConstraint('estate_id', 'month', name=op.f('uq_bulletins_estate_id_month'))
    )
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletins_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletins_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletins_posted_on'), ['posted_on'], unique=False)


def downgrade() -> None:
    # dropping a table drops its indexes (MariaDB refuses to drop an index a foreign key needs first)
    op.drop_table('bulletins')
    op.drop_table('community_activities')
    op.drop_table('visit_plans')
    op.drop_table('owner_visits')
