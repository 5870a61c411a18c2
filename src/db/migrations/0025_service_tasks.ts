import type { ColumnDefinitionBuilder, ForeignKeyConstraintBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Service tasks (服务任务) for customer-service agents, satisfaction surveys (definition, one link
 * code per recipient, one response per code with its answers) and feedback records (review, chat,
 * survey) with a complaint category and a sentiment.
 *
 * Tasks, responses and feedback cascade from their customer and are moved by a customer merge
 * (customers/merge.ts OWNED). The optional dedupe key lets a retried automation step create a task
 * once.
 */
export function serviceTasks(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const json = pg ? 'jsonb' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  const cascade = (c: ForeignKeyConstraintBuilder) => c.onDelete('cascade');
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('service_tasks')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        // payment_followup | logistics | bad_review | revisit | after_sale | manual
        .addColumn('type', 'text', notNull)
        .addColumn('title', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('order_id', 'text')
        // open | in_progress | done | cancelled
        .addColumn('status', 'text', notNull)
        // low | normal | high | urgent
        .addColumn('priority', 'text', notNull)
        .addColumn('due_at', ts, notNull)
        .addColumn('assignee_id', 'text')
        // manual | automation | review | survey | api, and what in it (an automation run, a review id)
        .addColumn('source', 'text', notNull)
        .addColumn('source_ref', 'text')
        .addColumn('dedupe_key', 'text')
        .addColumn('notes', 'text')
        .addColumn('outcome', 'text')
        .addColumn('outcome_tag', 'text')
        .addColumn('created_by', 'text')
        .addColumn('created_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addColumn('started_at', ts)
        .addColumn('closed_at', ts)
        .addPrimaryKeyConstraint('service_tasks_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('service_tasks_dedupe_uq', ['workspace_id', 'dedupe_key'])
        .addForeignKeyConstraint(
          'service_tasks_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          cascade,
        )
        .addForeignKeyConstraint('service_tasks_order_fk', ['workspace_id', 'order_id'], 'orders', [
          'workspace_id',
          'id',
        ])
        .execute();
      await db.schema
        .createIndex('service_tasks_inbox_idx')
        .on('service_tasks')
        .columns(['workspace_id', 'status', 'due_at'])
        .execute();
      await db.schema
        .createIndex('service_tasks_assignee_idx')
        .on('service_tasks')
        .columns(['workspace_id', 'assignee_id', 'status', 'due_at'])
        .execute();
      await db.schema
        .createIndex('service_tasks_customer_idx')
        .on('service_tasks')
        .columns(['workspace_id', 'customer_id'])
        .execute();

      await db.schema
        .createTable('surveys')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        // What the customer sees at the top of the page.
        .addColumn('title', 'text', notNull)
        .addColumn('intro', 'text')
        .addColumn('thanks', 'text')
        // [{ id, kind: score|nps|choice|text, label, options?, required }]
        .addColumn('questions', json, notNull)
        .addColumn('created_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addColumn('archived_at', ts)
        .addPrimaryKeyConstraint('surveys_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('surveys_name_uq', ['workspace_id', 'name'])
        .addForeignKeyConstraint('surveys_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();

      await db.schema
        .createTable('survey_invitations')
        .addColumn('workspace_id', 'text', notNull)
        // The link code, `${workspace}.${random}`: the public page reads one row of one tenant by primary key.
        .addColumn('id', 'text', notNull)
        .addColumn('survey_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('order_id', 'text')
        // What invited: a message source (campaign, automation run) or '' for a link made by hand.
        .addColumn('ref', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addColumn('opened_at', ts)
        .addColumn('answered_at', ts)
        .addPrimaryKeyConstraint('survey_invitations_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('survey_invitations_once_uq', ['workspace_id', 'survey_id', 'customer_id', 'ref'])
        .addForeignKeyConstraint('survey_invitations_survey_fk', ['workspace_id', 'survey_id'], 'surveys', [
          'workspace_id',
          'id',
        ])
        .addForeignKeyConstraint(
          'survey_invitations_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          cascade,
        )
        .execute();

      await db.schema
        .createTable('survey_responses')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('survey_id', 'text', notNull)
        .addColumn('invitation_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('answers', json, notNull)
        .addColumn('submitted_at', ts, notNull)
        .addPrimaryKeyConstraint('survey_responses_pk', ['workspace_id', 'id'])
        // One answer per recipient: a second submit of the same link is refused.
        .addUniqueConstraint('survey_responses_once_uq', ['workspace_id', 'invitation_id'])
        .addForeignKeyConstraint(
          'survey_responses_invitation_fk',
          ['workspace_id', 'invitation_id'],
          'survey_invitations',
          ['workspace_id', 'id'],
          cascade,
        )
        .addForeignKeyConstraint(
          'survey_responses_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          cascade,
        )
        .execute();
      await db.schema
        .createIndex('survey_responses_survey_idx')
        .on('survey_responses')
        .columns(['workspace_id', 'survey_id', 'submitted_at'])
        .execute();

      // One row per answered question, so averages and NPS are plain SQL aggregates.
      await db.schema
        .createTable('survey_answers')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('response_id', 'text', notNull)
        .addColumn('question_id', 'text', notNull)
        .addColumn('survey_id', 'text', notNull)
        .addColumn('kind', 'text', notNull)
        .addColumn('score', 'integer')
        .addColumn('value', 'text')
        .addPrimaryKeyConstraint('survey_answers_pk', ['workspace_id', 'response_id', 'question_id'])
        .addForeignKeyConstraint(
          'survey_answers_response_fk',
          ['workspace_id', 'response_id'],
          'survey_responses',
          ['workspace_id', 'id'],
          cascade,
        )
        .execute();
      await db.schema
        .createIndex('survey_answers_question_idx')
        .on('survey_answers')
        .columns(['workspace_id', 'survey_id', 'question_id'])
        .execute();

      await db.schema
        .createTable('feedback')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('order_id', 'text')
        // review | chat | survey, and the review / response it came from
        .addColumn('source', 'text', notNull)
        .addColumn('source_id', 'text')
        // product | logistics | service | price | other
        .addColumn('category', 'text', notNull)
        // positive | neutral | negative
        .addColumn('sentiment', 'text', notNull)
        .addColumn('body', 'text')
        .addColumn('created_by', 'text')
        .addColumn('occurred_at', ts, notNull)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('feedback_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('feedback_source_uq', ['workspace_id', 'source', 'source_id'])
        .addForeignKeyConstraint(
          'feedback_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          cascade,
        )
        .execute();
      await db.schema
        .createIndex('feedback_category_idx')
        .on('feedback')
        .columns(['workspace_id', 'sentiment', 'occurred_at'])
        .execute();
      await db.schema
        .createIndex('feedback_customer_idx')
        .on('feedback')
        .columns(['workspace_id', 'customer_id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of [
        'feedback',
        'survey_answers',
        'survey_responses',
        'survey_invitations',
        'surveys',
        'service_tasks',
      ])
        await db.schema.dropTable(t).execute();
    },
  };
}
