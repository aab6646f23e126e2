"""Extension objects, created unbound and attached in :func:`service.create_app`."""

from typing import TYPE_CHECKING

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

# Flask-SQLAlchemy builds db.Model at run time as a subclass of Base (adding its
# table naming and session binding), so a type checker cannot see it. Models
# derive from Model, which is db.Model when running and Base when type checking.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
