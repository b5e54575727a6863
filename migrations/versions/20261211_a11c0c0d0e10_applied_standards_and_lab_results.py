"""applied_standards_and_lab_results: two Decree 37/2026 items of the consumer trace page

- ``products.applied_standards``: the standards and technical regulations a product is made
  to (TCVN 11041 organic, VietGAP, a company standard's TCCS number…), a JSON list of text;
  existing products get an empty list from the server default.
- ``lab_results``: laboratory results recorded on a lot by its owner (test, laboratory and
  its accreditation, sample day, pass or fail, report number), which back claims on the
  trace page with "backed by a lab result". One standing row per test of a report on a lot
  (a partial unique index): a result withdrawn as recorded in error keeps its row (when, by
  whom, why) and the corrected one may be recorded.

Revision ID: a11c0c0d0e10
Revises: a11c0c0d0e09
Create Date: 2026-12-11 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a11c0c0d0e10"
down_revision = "a11c0c0d0e09"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("applied_standards", sa.JSON(), server_default=sa.text("'[]'"),
                      nullable=False)
        )
    op.create_table(
        "lab_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "test",
            sa.Enum("pesticide_residues", "heavy_metals", "microbiology", "mycotoxins",
                    "veterinary_drug_residues", "other", name="lab_test", native_enum=False,
                    create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("laboratory", sa.String(length=200), nullable=False),
        sa.Column("accreditation", sa.String(length=40), nullable=False),
        sa.Column("sampled_on", sa.Date(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("pass", "fail", name="lab_outcome", native_enum=False,
                    create_constraint=True, length=8),
            nullable=False,
        ),
        sa.Column("report_number", sa.String(length=60), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawal_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.id"],
                                name=op.f("fk_lab_results_batch_id_batches"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_lab_results_recorded_by_id_users")),
        sa.ForeignKeyConstraint(["withdrawn_by_id"], ["users.id"],
                                name=op.f("fk_lab_results_withdrawn_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_results")),
    )
    with op.batch_alter_table("lab_results", schema=None) as batch_op:
        batch_op.create_index("ix_lab_results_batch_id", ["batch_id"], unique=False)
        batch_op.create_index(
            "uq_lab_results_standing_report", ["batch_id", "test", "report_number"],
            unique=True, sqlite_where=sa.text("withdrawn_at IS NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL"),
        )


def downgrade():
    op.drop_table("lab_results")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("applied_standards")
