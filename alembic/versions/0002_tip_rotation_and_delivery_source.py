"""tip rotation, delivery source and check-in prompt key

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 02:46:33.741421

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('outbox_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_delivery_schedule_id_schedule'), 'schedule', ['schedule_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prompt_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_checkin_prompt_key'), ['prompt_key'])

    with op.batch_alter_table('patient_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tip_rotation', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('patient_profile', schema=None) as batch_op:
        batch_op.drop_column('tip_rotation')

    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_checkin_prompt_key'), type_='unique')
        batch_op.drop_column('prompt_key')

    with op.batch_alter_table('outbox_delivery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_delivery_schedule_id_schedule'), type_='foreignkey')
        batch_op.drop_column('schedule_id')

