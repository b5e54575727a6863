"""linkage_deliveries: deliveries under linkage contracts, and delivery windows on lines

A delivery books one traceability shipment (unique: under at most one contract) against a
contract line, with its settlement by the buyer. Indexed for each query path: a contract's
fulfilment (contract, line, day), a line's deliveries, the buyer-supplier pair of the
scorecard, a supplier's deliveries, a lot's. Lines get an optional delivery window
(``deliver_from`` ≤ ``deliver_by``).

Revision ID: a11c0c0d0e04
Revises: a11c0c0d0e03
Create Date: 2026-12-10 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a11c0c0d0e04'
down_revision = 'a11c0c0d0e03'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('linkage_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('shipped_on', sa.Date(), nullable=False),
    sa.Column('shipped_kg', sa.Numeric(precision=18, scale=4), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('accepted_kg', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('rejected_kg', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('price_vnd_per_kg', sa.BigInteger(), nullable=True),
    sa.Column('invoice_number', sa.String(length=64), nullable=False),
    sa.Column('settled_by_id', sa.Integer(), nullable=True),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('accepted_kg IS NULL OR accepted_kg + rejected_kg <= shipped_kg', name=op.f('ck_linkage_deliveries_settled_within_shipped')),
    sa.CheckConstraint('accepted_kg IS NULL OR accepted_kg >= 0', name=op.f('ck_linkage_deliveries_accepted_not_negative')),
    sa.CheckConstraint('price_vnd_per_kg IS NULL OR price_vnd_per_kg >= 0', name=op.f('ck_linkage_deliveries_price_not_negative')),
    sa.CheckConstraint('rejected_kg IS NULL OR rejected_kg >= 0', name=op.f('ck_linkage_deliveries_rejected_not_negative')),
    sa.CheckConstraint('shipped_kg > 0', name=op.f('ck_linkage_deliveries_shipped_positive')),
    sa.CheckConstraint('supplier_id <> buyer_id', name=op.f('ck_linkage_deliveries_not_to_itself')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_linkage_deliveries_batch_id_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['buyer_id'], ['organisations.id'], name=op.f('fk_linkage_deliveries_buyer_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['contract_id'], ['linkage_contracts.id'], name=op.f('fk_linkage_deliveries_contract_id_linkage_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_linkage_deliveries_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['line_id'], ['linkage_contract_lines.id'], name=op.f('fk_linkage_deliveries_line_id_linkage_contract_lines'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['settled_by_id'], ['users.id'], name=op.f('fk_linkage_deliveries_settled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_linkage_deliveries_shipment_id_shipments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['supplier_id'], ['organisations.id'], name=op.f('fk_linkage_deliveries_supplier_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_deliveries')),
    sa.UniqueConstraint('shipment_id', name=op.f('uq_linkage_deliveries_shipment_id'))
    )
    with op.batch_alter_table('linkage_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_linkage_deliveries_batch', ['batch_id'], unique=False)
        batch_op.create_index('ix_linkage_deliveries_contract_line', ['contract_id', 'line_id', 'shipped_on'], unique=False)
        batch_op.create_index('ix_linkage_deliveries_line', ['line_id'], unique=False)
        batch_op.create_index('ix_linkage_deliveries_pair', ['buyer_id', 'supplier_id', 'shipped_on'], unique=False)
        batch_op.create_index('ix_linkage_deliveries_supplier', ['supplier_id', 'shipped_on'], unique=False)

    with op.batch_alter_table('linkage_contract_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deliver_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('deliver_by', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_linkage_contract_lines_delivery_window_order'),
            'deliver_by IS NULL OR deliver_from IS NULL OR deliver_by >= deliver_from',
        )


def downgrade():
    with op.batch_alter_table('linkage_contract_lines', schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f('ck_linkage_contract_lines_delivery_window_order'), type_='check'
        )
        batch_op.drop_column('deliver_by')
        batch_op.drop_column('deliver_from')

    with op.batch_alter_table('linkage_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_linkage_deliveries_supplier')
        batch_op.drop_index('ix_linkage_deliveries_pair')
        batch_op.drop_index('ix_linkage_deliveries_line')
        batch_op.drop_index('ix_linkage_deliveries_contract_line')
        batch_op.drop_index('ix_linkage_deliveries_batch')

    op.drop_table('linkage_deliveries')
