from alembic import context

from db.engine import get_engine
from db.models import Base

config = context.config


def run_migrations_online() -> None:
    engine = get_engine(config.attributes["url"])
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
