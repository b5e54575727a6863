"""supplier lists and verifications: a buyer's supplier cooperatives, and its
verifications of them with the checklist computed at the request and at the decision

At most one open (requested) verification per buyer and supplier: a partial unique index.
The trace page's badge reads valid verifications of a supplier on (supplier, state,
expires_on); a buyer's list on (buyer, supplier, requested_at).

Revision ID: a11c0c0d0e02
Revises: a11c0c0d0e01
Create Date: 2026-12-10 14:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e02"
down_revision = "a11c0c0d0e01"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supplier_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('buyer_id <> supplier_id', name=op.f('ck_supplier_links_not_own_supplier')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_supplier_links_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['buyer_id'], ['organisations.id'], name=op.f('fk_supplier_links_buyer_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['organisations.id'], name=op.f('fk_supplier_links_supplier_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_links')),
    sa.UniqueConstraint('buyer_id', 'supplier_id', name=op.f('uq_supplier_links_buyer_id_supplier_id'))
    )
    with op.batch_alter_table('supplier_links', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_links_supplier', ['supplier_id'], unique=False)

    op.create_table('supplier_verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('requested', 'verified', 'rejected', name='verification_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('for_export', sa.Boolean(), nullable=False),
    sa.Column('required_schemes', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request_checklist', sa.JSON(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_checklist', sa.JSON(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("(state = 'requested' AND decided_at IS NULL) OR (state <> 'requested' AND decided_at IS NOT NULL)", name=op.f('ck_supplier_verifications_decided_unless_requested')),
    sa.CheckConstraint("state <> 'rejected' OR reason <> ''", name=op.f('ck_supplier_verifications_rejected_has_reason')),
    sa.CheckConstraint("state <> 'verified' OR expires_on IS NOT NULL", name=op.f('ck_supplier_verifications_verified_has_expiry')),
    sa.CheckConstraint('buyer_id <> supplier_id', name=op.f('ck_supplier_verifications_not_own_supplier')),
    sa.ForeignKeyConstraint(['buyer_id'], ['organisations.id'], name=op.f('fk_supplier_verifications_buyer_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_supplier_verifications_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_supplier_verifications_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['organisations.id'], name=op.f('fk_supplier_verifications_supplier_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_verifications'))
    )
    with op.batch_alter_table('supplier_verifications', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_verifications_buyer', ['buyer_id', 'supplier_id', 'requested_at'], unique=False)
        batch_op.create_index('ix_supplier_verifications_supplier', ['supplier_id', 'state', 'expires_on'], unique=False)
        batch_op.create_index('uq_supplier_verifications_open', ['buyer_id', 'supplier_id'], unique=True, sqlite_where=sa.text("state = 'requested'"), postgresql_where=sa.text("state = 'requested'"))



def downgrade():
    with op.batch_alter_table('supplier_verifications', schema=None) as batch_op:
        batch_op.drop_index('uq_supplier_verifications_open', sqlite_where=sa.text("state = 'requested'"), postgresql_where=sa.text("state = 'requested'"))
        batch_op.drop_index('ix_supplier_verifications_supplier')
        batch_op.drop_index('ix_supplier_verifications_buyer')

    op.drop_table('supplier_verifications')
    with op.batch_alter_table('supplier_links', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_links_supplier')

    op.drop_table('supplier_links')
