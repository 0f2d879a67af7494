"""/customer/new, /customer/info, /customer/update, /customer/delete, /customer/list,
/customer/block, /customer/unblock (also under LiteLLM's older /end_user/ prefix): admins only."""
from __future__ import annotations

from rest_framework.response import Response

from gateway.errors import NotFound
from keys import permissions
from keys.models import EndUser
from keys.serializers.customers import (CustomerIdsSerializer, CustomerInfoQuerySerializer,
                                        CustomerNewSerializer, CustomerUpdateSerializer, customer_as_dict)
from keys.services import customers as customer_services
from keys.views.base import ManagementView
from keys.permissions import require_admin_viewer


def find_customer(user_id: str, param: str = "user_id") -> EndUser:
    end_user = EndUser.objects.select_related("budget").filter(user_id=user_id).first()
    if end_user is None:
        raise NotFound(f"End User Id={user_id} does not exist in db", param=param)
    return end_user


class CustomerNewView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/customer/new")
        fields = self.valid(CustomerNewSerializer, request.data)
        end_user = customer_services.customer_create(actor, fields)
        return Response(customer_as_dict(find_customer(end_user.user_id)))


class CustomerInfoView(ManagementView):
    def get(self, request) -> Response:
        require_admin_viewer(self.actor(request), "/customer/info")
        end_user_id = self.valid(CustomerInfoQuerySerializer, request.query_params)["end_user_id"]
        return Response(customer_as_dict(find_customer(end_user_id, param="end_user_id")))


class CustomerUpdateView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/customer/update")
        fields = self.valid(CustomerUpdateSerializer, request.data)
        end_user = customer_services.customer_update(actor, fields.pop("user_id"), fields)
        return Response(customer_as_dict(find_customer(end_user.user_id)))


class CustomerDeleteView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/customer/delete")
        user_ids = self.valid(CustomerIdsSerializer, request.data)["user_ids"]
        deleted = customer_services.customer_delete(actor, user_ids)
        return Response({"deleted_customers": deleted,
                         "message": f"Successfully deleted customers with ids: {user_ids}"})


class CustomerBlockView(ManagementView):
    is_blocking = True

    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/customer/block" if self.is_blocking else "/customer/unblock")
        user_ids = self.valid(CustomerIdsSerializer, request.data)["user_ids"]
        changed = customer_services.customer_set_blocked(actor, user_ids, self.is_blocking)
        rows = [customer_as_dict(find_customer(end_user.user_id)) for end_user in changed]
        return Response({"blocked_users" if self.is_blocking else "unblocked_users": rows})


class CustomerUnblockView(CustomerBlockView):
    is_blocking = False


class CustomerListView(ManagementView):
    def get(self, request) -> Response:
        require_admin_viewer(self.actor(request), "/customer/list")
        rows = EndUser.objects.select_related("budget").order_by("created_at", "user_id")
        return Response([customer_as_dict(end_user) for end_user in rows])
