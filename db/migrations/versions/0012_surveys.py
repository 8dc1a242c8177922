"""满意度调查: questions as data, survey rounds per estate, responses per household and their answers.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('survey_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=60), nullable=False),
    sa.Column('scale', sa.String(length=80), nullable=False),
    sa.Column('is_overall', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_questions'))
    )
    op.create_table('survey_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('closed_by', sa.String(length=32), nullable=False),
    sa.Column('closed_at', db.types.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_survey_rounds_estate_id_estates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_rounds')),
    sa.UniqueConstraint('estate_id', 'name', name=op.f('uq_survey_rounds_estate_id_name'))
    )
    with op.batch_alter_table('survey_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_rounds_estate_id'), ['estate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_rounds_status'), ['status'], unique=False)

    op.create_table('survey_round_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=60), nullable=False),
    sa.Column('scale', sa.String(length=80), nullable=False),
    sa.Column('is_overall', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_survey_round_questions_question_id_survey_questions')),
    sa.ForeignKeyConstraint(['round_id'], ['survey_rounds.id'], name=op.f('fk_survey_round_questions_round_id_survey_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_round_questions')),
    sa.UniqueConstraint('round_id', 'position', name=op.f('uq_survey_round_questions_round_id_position'))
    )
    with op.batch_alter_table('survey_round_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_round_questions_question_id'), ['question_id'], unique=False)

    op.create_table('survey_round_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['survey_rounds.id'], name=op.f('fk_survey_round_units_round_id_survey_rounds')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_survey_round_units_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_round_units')),
    sa.UniqueConstraint('round_id', 'unit_id', name=op.f('uq_survey_round_units_round_id_unit_id'))
    )
    with op.batch_alter_table('survey_round_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_round_units_unit_id'), ['unit_id'], unique=False)

    op.create_table('survey_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('respondent', sa.String(length=32), nullable=False),
    sa.Column('way', sa.String(length=8), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.Column('entered_by', sa.String(length=32), nullable=False),
    sa.Column('entered_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['survey_rounds.id'], name=op.f('fk_survey_responses_round_id_survey_rounds')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_survey_responses_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
    sa.UniqueConstraint('round_id', 'unit_id', name=op.f('uq_survey_responses_round_id_unit_id'))
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_responses_unit_id'), ['unit_id'], unique=False)

    op.create_table('survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('round_question_id', sa.Integer(), nullable=False),
    sa.Column('point_no', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'], name=op.f('fk_survey_answers_response_id_survey_responses')),
    sa.ForeignKeyConstraint(['round_question_id'], ['survey_round_questions.id'], name=op.f('fk_survey_answers_round_question_id_survey_round_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
    sa.UniqueConstraint('response_id', 'round_question_id', name=op.f('uq_survey_answers_response_id_round_question_id'))
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answers_round_question_id'), ['round_question_id'], unique=False)


def downgrade() -> None:
    # dropping a table drops its indexes (MariaDB refuses to drop an index a foreign key still needs)
    for table in ('survey_answers', 'survey_responses', 'survey_round_units', 'survey_round_questions',
                  'survey_rounds', 'survey_questions'):
        op.drop_table(table)
