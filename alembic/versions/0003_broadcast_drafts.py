"""broadcast drafts kept in the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 02:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('broadcast_draft',
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coordinator_id'], ['person.id'], name=op.f('fk_broadcast_draft_coordinator_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('coordinator_id', name=op.f('pk_broadcast_draft'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('broadcast_draft')
