"""特约服务/家政: the price list and the orders, each charged as a bill of its unit.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('paid_service_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=8), nullable=False),
    sa.Column('charge_unit', sa.String(length=8), nullable=False),
    sa.Column('price', db.types.Money(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paid_service_items')),
    sa.UniqueConstraint('name', name=op.f('uq_paid_service_items_name'))
    )
    op.create_table('paid_service_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_no', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('requester_name', sa.String(length=64), nullable=False),
    sa.Column('requester_phone', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('item_name', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=8), nullable=False),
    sa.Column('charge_unit', sa.String(length=8), nullable=False),
    sa.Column('price', db.types.Money(), nullable=False),
    sa.Column('quantity', db.types.Hundredths(), nullable=False),
    sa.Column('amount', db.types.Money(), nullable=False),
    sa.Column('scheduled_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('staff_name', sa.String(length=32), nullable=False),
    sa.Column('request', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('ordered_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('ordered_by', sa.String(length=32), nullable=False),
    sa.Column('completed_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('completed_by', sa.String(length=32), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.Column('cancelled_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=False),
    sa.Column('bill_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_paid_service_orders_bill_id_bills')),
    sa.ForeignKeyConstraint(['item_id'], ['paid_service_items.id'], name=op.f('fk_paid_service_orders_item_id_paid_service_items')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_paid_service_orders_staff_id_staff')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_paid_service_orders_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paid_service_orders')),
    sa.UniqueConstraint('bill_id', name=op.f('uq_paid_service_orders_bill_id')),
    sa.UniqueConstraint('order_no', name=op.f('uq_paid_service_orders_order_no'))
    )
    with op.batch_alter_table('paid_service_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paid_service_orders_completed_at'), ['completed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_paid_service_orders_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paid_service_orders_ordered_at'), ['ordered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_paid_service_orders_scheduled_at'), ['scheduled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_paid_service_orders_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paid_service_orders_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_paid_service_orders_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    # dropping a table drops its indexes (MariaDB refuses to drop an index a foreign key needs first)
    op.drop_table('paid_service_orders')
    op.drop_table('paid_service_items')
