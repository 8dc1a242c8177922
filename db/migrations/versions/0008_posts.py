"""posts 岗位 as a reference table: staff, the KPI sets and the reward/penalty rules point at a post's id instead of
its name, so a renamed post keeps its KPI set. Seeded with the posts the console shipped with; a post name found
in existing rows that is not among them becomes a post of its own, so no record loses its post.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Frozen here: the code's DEFAULT_POSTS may change, what this revision wrote may not.
SEED_POSTS = ("客服主管", "客服前台", "物业管理员", "收费员", "内勤", "维修工", "工程主管", "秩序维护员", "保洁员",
              "系统管理员")


def _names_in_use(conn: sa.Connection) -> list[str]:
    used: set[str] = set()
    for table in ("staff", "post_kpis", "appraisal_rules"):
        used.update(conn.execute(sa.text(f"SELECT DISTINCT post FROM {table} WHERE post <> ''")).scalars())
    return sorted(used - set(SEED_POSTS))


def upgrade() -> None:
    posts = op.create_table('posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts')),
    sa.UniqueConstraint('code', name=op.f('uq_posts_code')),
    sa.UniqueConstraint('name', name=op.f('uq_posts_name'))
    )
    conn = op.get_bind()
    names = [*SEED_POSTS, *_names_in_use(conn)]
    op.bulk_insert(posts, [{"id": i, "code": f"P{i:02d}", "name": name, "active": True, "version": 1}
                           for i, name in enumerate(names, start=1)])
    if conn.dialect.name == "postgresql":  # ids were given explicitly; the sequence must continue after them
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('posts', 'id'), (SELECT MAX(id) FROM posts))"))

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_staff_post_id'), ['post_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_staff_post_id_posts'), 'posts', ['post_id'], ['id'])
    with op.batch_alter_table('post_kpis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('appraisal_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post_id', sa.Integer(), nullable=True))

    for table in ("staff", "post_kpis", "appraisal_rules"):
        conn.execute(sa.text(f"UPDATE {table} SET post_id = (SELECT posts.id FROM posts "
                             f"WHERE posts.name = {table}.post) WHERE post <> ''"))

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('post')
    with op.batch_alter_table('post_kpis', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_post_kpis_post_kpi'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_post_kpis_post'))
        batch_op.drop_column('post')
        batch_op.alter_column('post_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_post_kpis_post_id'), ['post_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_post_kpis_post_id_kpi'), ['post_id', 'kpi'])
        batch_op.create_foreign_key(batch_op.f('fk_post_kpis_post_id_posts'), 'posts', ['post_id'], ['id'])
    with op.batch_alter_table('appraisal_rules', schema=None) as batch_op:
        batch_op.drop_column('post')
        batch_op.create_index(batch_op.f('ix_appraisal_rules_post_id'), ['post_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_appraisal_rules_post_id_posts'), 'posts', ['post_id'], ['id'])


def downgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post', sa.String(length=32), nullable=False, server_default=''))
    with op.batch_alter_table('post_kpis', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post', sa.String(length=32), nullable=False, server_default=''))
    with op.batch_alter_table('appraisal_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post', sa.String(length=32), nullable=False, server_default=''))
    for table in ("staff", "post_kpis", "appraisal_rules"):
        conn.execute(sa.text(f"UPDATE {table} SET post = COALESCE((SELECT posts.name FROM posts "
                             f"WHERE posts.id = {table}.post_id), '')"))

    with op.batch_alter_table('appraisal_rules', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appraisal_rules_post_id_posts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_appraisal_rules_post_id'))
        batch_op.drop_column('post_id')
    with op.batch_alter_table('post_kpis', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_post_kpis_post_id_posts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_post_kpis_post_id_kpi'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_post_kpis_post_id'))
        batch_op.drop_column('post_id')
        batch_op.create_index(batch_op.f('ix_post_kpis_post'), ['post'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_post_kpis_post_kpi'), ['post', 'kpi'])
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_post_id_posts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_staff_post_id'))
        batch_op.drop_column('post_id')
    op.drop_table('posts')
